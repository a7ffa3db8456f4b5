<?php
/**
 * The plugin's stored settings and their validation.
 *
 * @package ConsentService
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Reads and validates the `consent_service_settings` option.
 */
class Consent_Service_Options {

	const OPTION = 'consent_service_settings';

	const KEY_PATTERN = '/^pk_[A-Za-z0-9_-]+$/D';

	/**
	 * The settings with defaults filled in.
	 *
	 * @return array{service_url: string, site_key: string}
	 */
	public static function get() {
		$value = get_option( self::OPTION, array() );
		$value = is_array( $value ) ? $value : array();
		return array(
			'service_url' => isset( $value['service_url'] ) ? (string) $value['service_url'] : '',
			'site_key'    => isset( $value['site_key'] ) ? (string) $value['site_key'] : '',
		);
	}

	/**
	 * Whether both the service URL and the site key are set.
	 *
	 * @return bool
	 */
	public static function is_configured() {
		$settings = self::get();
		return '' !== $settings['service_url'] && '' !== $settings['site_key'];
	}

	/**
	 * The loader script URL, or an empty string when not configured.
	 *
	 * @return string
	 */
	public static function loader_url() {
		if ( ! self::is_configured() ) {
			return '';
		}
		$settings = self::get();
		return $settings['service_url'] . '/loader/' . rawurlencode( $settings['site_key'] ) . '.js';
	}

	/**
	 * The public config endpoint of the site.
	 *
	 * @param string $service_url Base URL of the consent-service.
	 * @param string $site_key    Public site key.
	 * @return string
	 */
	public static function config_url( $service_url, $site_key ) {
		return untrailingslashit( $service_url ) . '/api/v1/sites/' . rawurlencode( $site_key ) . '/config';
	}

	/**
	 * Checks a service URL: https, or http for localhost and 127.0.0.1.
	 *
	 * @param string $url The URL as entered.
	 * @return string|WP_Error The normalised URL (no trailing slash, no query) or an error.
	 */
	public static function validate_service_url( $url ) {
		$url = trim( (string) $url );
		if ( '' === $url ) {
			return new WP_Error( 'service_url_missing', __( 'Enter the address of your consent-service.', 'consent-service' ) );
		}
		$parts = wp_parse_url( $url );
		if ( ! is_array( $parts ) || empty( $parts['scheme'] ) || empty( $parts['host'] ) ) {
			return new WP_Error( 'service_url_invalid', __( 'The service URL is not a valid address.', 'consent-service' ) );
		}
		$scheme = strtolower( $parts['scheme'] );
		$host   = strtolower( $parts['host'] );
		$local  = in_array( $host, array( 'localhost', '127.0.0.1' ), true );
		if ( 'https' !== $scheme && ! ( 'http' === $scheme && $local ) ) {
			return new WP_Error( 'service_url_scheme', __( 'The service URL must start with https:// (http:// is allowed only for localhost and 127.0.0.1).', 'consent-service' ) );
		}
		if ( isset( $parts['query'] ) || isset( $parts['fragment'] ) || isset( $parts['user'] ) || isset( $parts['pass'] ) ) {
			return new WP_Error( 'service_url_parts', __( 'The service URL must not contain a query, a fragment or credentials.', 'consent-service' ) );
		}
		$port = isset( $parts['port'] ) ? ':' . (int) $parts['port'] : '';
		$path = isset( $parts['path'] ) ? untrailingslashit( $parts['path'] ) : '';
		$norm = $scheme . '://' . $host . $port . $path;
		if ( esc_url_raw( $norm, array( 'http', 'https' ) ) !== $norm ) {
			return new WP_Error( 'service_url_invalid', __( 'The service URL is not a valid address.', 'consent-service' ) );
		}
		return $norm;
	}

	/**
	 * Checks a site key: `pk_` followed by letters, digits, `_` or `-`.
	 *
	 * @param string $key The key as entered.
	 * @return string|WP_Error
	 */
	public static function validate_site_key( $key ) {
		$key = trim( (string) $key );
		if ( 1 !== preg_match( self::KEY_PATTERN, $key ) ) {
			return new WP_Error( 'site_key_invalid', __( 'The site key looks like pk_ followed by letters, digits, _ or -.', 'consent-service' ) );
		}
		return $key;
	}
}
