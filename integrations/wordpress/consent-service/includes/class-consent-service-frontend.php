<?php
/**
 * Front end: the loader first in the head, tracking scripts held back until consent.
 *
 * @package ConsentService
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Prints the banner loader and marks enqueued tracker scripts with `type="text/plain"`.
 */
class Consent_Service_Frontend {

	/**
	 * Whether the loader is in this page: only then are scripts held back, since only the
	 * loader can release them (the login page, for one, has no wp_head).
	 *
	 * @var bool
	 */
	private static $printed = false;

	/**
	 * Hooks into WordPress.
	 */
	public static function init() {
		// The lowest priority there is: before wp_enqueue_scripts (1), the styles and
		// scripts printed at 8 and 9, and anything a theme or plugin hooks to wp_head.
		add_action( 'wp_head', array( __CLASS__, 'print_loader' ), PHP_INT_MIN );
		add_filter( 'script_loader_tag', array( __CLASS__, 'filter_script_tag' ), 10, 3 );
	}

	/**
	 * Whether the loader was printed in this request.
	 *
	 * @return bool
	 */
	public static function loader_printed() {
		return self::$printed;
	}

	/**
	 * Prints `<script src="{service}/loader/{key}.js"></script>`.
	 *
	 * It must be a plain, synchronous script (no async, no defer) so that Consent Mode
	 * defaults and blocking are in place before any other script runs.
	 */
	public static function print_loader() {
		$url = Consent_Service_Options::loader_url();
		if ( self::$printed || '' === $url ) {
			return;
		}
		self::$printed = true;
		// phpcs:ignore WordPress.WP.EnqueuedResources.NonEnqueuedScript -- must run before every enqueued script.
		printf( '<script src="%s" id="consent-service-loader"></script>' . "\n", esc_url( $url ) );
	}

	/**
	 * Marks the tags of an enqueued script that belongs to a non-necessary service.
	 *
	 * @param string $tag    The script tag(s) WordPress is about to print.
	 * @param string $handle Script handle.
	 * @param string $src    Script URL.
	 * @return string
	 */
	public static function filter_script_tag( $tag, $handle, $src ) {
		if ( ! self::$printed || is_admin() ) {
			return $tag;
		}
		$config = Consent_Service_Remote_Config::get();
		if ( null === $config ) {
			return $tag;
		}
		$category = Consent_Service_Remote_Config::category_for( $config, $handle, (string) $src );
		/**
		 * Filters the consent category of an enqueued script (null: not held back).
		 *
		 * @param string|null $category Category id (preferences, analytics, marketing) or null.
		 * @param string      $handle   Script handle.
		 * @param string      $src      Script URL.
		 */
		$category = apply_filters( 'consent_service_script_category', $category, $handle, $src );
		if ( ! is_string( $category ) || '' === $category || 'necessary' === $category ) {
			return $tag;
		}
		return self::mark_tag( $tag, $handle, $category );
	}

	/**
	 * Turns every `<script>` of a handle (the file and its inline before/after code) into
	 * `type="text/plain" data-category="..."`; the banner runs them, in order, after consent.
	 * Data from wp_localize_script (`-js-extra`) and translations stay as they are.
	 *
	 * @param string $tag      The HTML WordPress prints for the handle.
	 * @param string $handle   Script handle.
	 * @param string $category Consent category.
	 * @return string
	 */
	public static function mark_tag( $tag, $handle, $category ) {
		$keep = '/\sid=([\'"])' . preg_quote( $handle, '/' ) . '-js-(extra|translations)\1/i';
		return (string) preg_replace_callback(
			'/<script\b([^>]*)>/i',
			static function ( $m ) use ( $keep, $category ) {
				$attrs = $m[1];
				if ( preg_match( $keep, $attrs ) || preg_match( '/\sdata-category\s*=/i', $attrs ) ) {
					return $m[0];
				}
				$extra = ' type="text/plain" data-category="' . esc_attr( $category ) . '"';
				if ( preg_match( '/\stype\s*=\s*([\'"])(.*?)\1/i', $attrs, $type ) ) {
					$attrs = str_replace( $type[0], '', $attrs );
					if ( ! in_array( strtolower( trim( $type[2] ) ), array( '', 'text/javascript', 'application/javascript' ), true ) ) {
						$extra .= ' data-cs-type="' . esc_attr( $type[2] ) . '"';
					}
				}
				return '<script' . $extra . $attrs . '>';
			},
			$tag
		);
	}
}
