<?php
/**
 * The "Cookie settings" button: shortcode `[consent_settings]` and a dynamic block.
 *
 * @package ConsentService
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Renders a button with `data-consent-open`; the banner opens its preference centre on click.
 */
class Consent_Service_Settings_Button {

	/**
	 * Hooks into WordPress.
	 */
	public static function init() {
		add_shortcode( 'consent_settings', array( __CLASS__, 'shortcode' ) );
		add_action( 'init', array( __CLASS__, 'register_block' ) );
	}

	/**
	 * Registers the block from its block.json; PHP renders it.
	 */
	public static function register_block() {
		register_block_type(
			CONSENT_SERVICE_DIR . 'blocks/consent-settings',
			array( 'render_callback' => array( __CLASS__, 'render_block' ) )
		);
		if ( function_exists( 'wp_set_script_translations' ) ) {
			wp_set_script_translations( 'consent-service-consent-settings-editor-script', 'consent-service', CONSENT_SERVICE_DIR . 'languages' );
		}
	}

	/**
	 * `[consent_settings label="..."]`.
	 *
	 * @param array|string $atts Shortcode attributes.
	 * @return string
	 */
	public static function shortcode( $atts ) {
		$atts = shortcode_atts( array( 'label' => '' ), $atts, 'consent_settings' );
		return self::button( $atts['label'], '' );
	}

	/**
	 * Block render callback.
	 *
	 * @param array $attributes Block attributes.
	 * @return string
	 */
	public static function render_block( $attributes ) {
		$label   = isset( $attributes['label'] ) ? (string) $attributes['label'] : '';
		$wrapper = function_exists( 'get_block_wrapper_attributes' ) ? get_block_wrapper_attributes() : '';
		return '<div ' . $wrapper . '>' . self::button( $label, '' ) . '</div>';
	}

	/**
	 * The button markup.
	 *
	 * @param string $label Button text; empty for the default.
	 * @param string $class Extra class names.
	 * @return string
	 */
	public static function button( $label, $class ) {
		$label = '' !== trim( $label ) ? $label : __( 'Cookie settings', 'consent-service' );
		return sprintf(
			'<button type="button" class="%s" data-consent-open>%s</button>',
			esc_attr( trim( 'consent-service-settings wp-element-button ' . $class ) ),
			esc_html( $label )
		);
	}
}
