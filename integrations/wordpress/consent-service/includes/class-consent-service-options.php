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
	 * Hosts the site owner allowed explicitly (`CONSENT_SERVICE_ALLOWED_HOSTS` in wp-config.php,
	 * comma-separated `host` or `host:port`, and the `consent_service_allowed_hosts` filter):
	 * only these may be reached over plain http or on an internal address.
	 *
	 * @return string[] Lowercase `host` or `host:port` entries.
	 */
	public static function allowed_hosts() {
		$hosts = defined( 'CONSENT_SERVICE_ALLOWED_HOSTS' ) ? explode( ',', (string) constant( 'CONSENT_SERVICE_ALLOWED_HOSTS' ) ) : array();
		/**
		 * Filters the hosts the plugin may reach over http or on an internal address.
		 *
		 * @param string[] $hosts `host` or `host:port` entries.
		 */
		$hosts = apply_filters( 'consent_service_allowed_hosts', $hosts );
		$out   = array();
		foreach ( (array) $hosts as $host ) {
			$host = strtolower( trim( (string) $host ) );
			if ( '' !== $host ) {
				$out[] = $host;
			}
		}
		return $out;
	}

	/**
	 * Whether a URL's host (and port, when the entry names one) was allowed explicitly.
	 *
	 * @param string $url An absolute URL.
	 * @return bool
	 */
	public static function url_host_is_allowed( $url ) {
		$parts = wp_parse_url( (string) $url );
		if ( ! is_array( $parts ) || empty( $parts['host'] ) ) {
			return false;
		}
		$host    = strtolower( $parts['host'] );
		$default = isset( $parts['scheme'] ) && 'http' === strtolower( $parts['scheme'] ) ? 80 : 443;
		$port    = isset( $parts['port'] ) ? (int) $parts['port'] : $default;
		foreach ( self::allowed_hosts() as $entry ) {
			if ( $entry === $host . ':' . $port || ( $entry === $host && $port === $default ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Checks a service URL: https, or http only for an explicitly allowed host.
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
		if ( 'https' !== $scheme && ! ( 'http' === $scheme && self::url_host_is_allowed( $url ) ) ) {
			return new WP_Error( 'service_url_scheme', __( 'The service URL must start with https:// (http:// only for a host allowed in CONSENT_SERVICE_ALLOWED_HOSTS).', 'consent-service' ) );
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
