<?php
/**
 * WP Consent API (the wp-consent-api plugin): other plugins hear the visitor's choice.
 *
 * @package ConsentService
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Registers as the consent management plugin, declares opt-in, and mirrors the banner's
 * consent into the API's categories in the browser (`wp_set_consent`), at page load from
 * the stored consent and on every choice and withdrawal. Plugins then read it with
 * `wp_has_consent()` in PHP (from the API's cookies) and in JS.
 */
class Consent_Service_Wp_Consent_Api {

	/**
	 * Our categories => the WP Consent API's. statistics-anonymous follows statistics:
	 * analytics consent covers anonymous statistics too, and without it neither is given.
	 */
	const CATEGORY_MAP = array(
		'necessary'   => array( 'functional' ),
		'preferences' => array( 'preferences' ),
		'analytics'   => array( 'statistics', 'statistics-anonymous' ),
		'marketing'   => array( 'marketing' ),
	);

	const HANDLE = 'consent-service-wp-consent-api';

	/**
	 * Hooks into WordPress.
	 */
	public static function init() {
		add_filter( 'wp_consent_api_registered_' . plugin_basename( CONSENT_SERVICE_FILE ), '__return_true' );
		add_filter( 'wp_get_consent_type', array( __CLASS__, 'consent_type' ) );
		// After the API enqueues its own script (PHP_INT_MAX - 100).
		add_action( 'wp_enqueue_scripts', array( __CLASS__, 'enqueue' ), PHP_INT_MAX - 50 );
	}

	/**
	 * Whether the WP Consent API plugin is active.
	 *
	 * @return bool
	 */
	public static function active() {
		return function_exists( 'wp_has_consent' ) && function_exists( 'wp_set_consent' );
	}

	/**
	 * The consent type: opt-in (nothing but functional before a choice).
	 *
	 * @param string $type Type so far.
	 * @return string
	 */
	public static function consent_type( $type ) {
		return Consent_Service_Options::is_configured() ? 'optin' : $type;
	}

	/**
	 * Prints the bridge after the API's script (in the footer, where the API puts its own).
	 */
	public static function enqueue() {
		if ( ! self::active() || ! Consent_Service_Options::is_configured() || ! wp_script_is( 'wp-consent-api', 'registered' ) ) {
			return;
		}
		wp_register_script( self::HANDLE, false, array( 'wp-consent-api' ), CONSENT_SERVICE_VERSION, true );
		wp_enqueue_script( self::HANDLE );
		wp_add_inline_script( self::HANDLE, self::script() );
	}

	/**
	 * The bridge: the same for every visitor (it reads the consent in the browser).
	 *
	 * Uses the banner's public API: `consentService.getConsent()` and the `consent:changed`
	 * event on window (banner_js/README.md).
	 *
	 * @return string
	 */
	public static function script() {
		return '(function(){var map=' . wp_json_encode( self::CATEGORY_MAP ) . ';'
			. 'window.wp_consent_type="optin";'
			. 'document.dispatchEvent(new CustomEvent("wp_consent_type_defined"));'
			. 'function apply(c){if(typeof window.wp_set_consent!=="function")return;'
			. 'Object.keys(map).forEach(function(k){var ok=k==="necessary"||!!(c&&c[k]===true);'
			. 'map[k].forEach(function(api){window.wp_set_consent(api,ok?"allow":"deny");});});}'
			. 'var cs=window.consentService,now=cs&&cs.getConsent?cs.getConsent():null;'
			. 'apply(now&&now.choices);'
			. 'window.addEventListener("consent:changed",function(e){apply(e.detail&&e.detail.choices);});'
			. '})();';
	}
}
