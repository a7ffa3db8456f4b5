<?php
/**
 * The site's published config, fetched from the consent-service and cached.
 *
 * @package ConsentService
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Fetches `{service}/api/v1/sites/{key}/config` and keeps what the plugin needs in a transient.
 */
class Consent_Service_Remote_Config {

	const TRANSIENT = 'consent_service_config';

	const TTL = 5 * MINUTE_IN_SECONDS;

	const ERROR_TTL = MINUTE_IN_SECONDS;

	/**
	 * Option holding the last config fetched successfully, used while the service is down
	 * so that trackers stay held back (fail closed).
	 */
	const LAST_GOOD = 'consent_service_config_last';

	/**
	 * Config fetched during this request, keyed by fingerprint.
	 *
	 * @var array<string, array|null>
	 */
	private static $memo = array();

	/**
	 * The cached config of the configured site; null when not configured or unreachable.
	 *
	 * @return array|null {policy_version: int, blocking: array, services: array<string, string>}
	 */
	public static function get() {
		if ( ! Consent_Service_Options::is_configured() ) {
			return null;
		}
		$settings    = Consent_Service_Options::get();
		$fingerprint = md5( $settings['service_url'] . '|' . $settings['site_key'] );
		if ( array_key_exists( $fingerprint, self::$memo ) ) {
			return self::$memo[ $fingerprint ];
		}
		$cached = get_transient( self::TRANSIENT );
		if ( is_array( $cached ) && isset( $cached['fingerprint'] ) && $cached['fingerprint'] === $fingerprint ) {
			self::$memo[ $fingerprint ] = isset( $cached['config'] ) ? $cached['config'] : null;
			return self::$memo[ $fingerprint ];
		}
		$result = self::fetch( $settings['service_url'], $settings['site_key'] );
		if ( is_wp_error( $result ) ) {
			// Keep holding back with the last good config, and remember the failure briefly
			// so that a down service does not slow every page.
			$last   = get_option( self::LAST_GOOD );
			$config = is_array( $last ) && isset( $last['fingerprint'], $last['config'] ) && $last['fingerprint'] === $fingerprint ? $last['config'] : null;
			set_transient(
				self::TRANSIENT,
				array(
					'fingerprint' => $fingerprint,
					'config'      => $config,
					'error'       => $result->get_error_message(),
				),
				self::ERROR_TTL
			);
			self::$memo[ $fingerprint ] = $config;
			return $config;
		}
		$config = self::summarise( $result );
		update_option(
			self::LAST_GOOD,
			array(
				'fingerprint' => $fingerprint,
				'config'      => $config,
			),
			false
		);
		set_transient(
			self::TRANSIENT,
			array(
				'fingerprint' => $fingerprint,
				'config'      => $config,
			),
			self::TTL
		);
		self::$memo[ $fingerprint ] = $config;
		return $config;
	}

	/**
	 * Forgets the cached config (after a settings change).
	 */
	public static function flush() {
		delete_transient( self::TRANSIENT );
		self::$memo = array();
	}

	/**
	 * Fetches and decodes the public config of a site.
	 *
	 * @param string $service_url Base URL of the consent-service.
	 * @param string $site_key    Public site key.
	 * @return array|WP_Error The decoded config or why it could not be had.
	 */
	public static function fetch( $service_url, $site_key ) {
		$response = self::safe_get( Consent_Service_Options::config_url( $service_url, $site_key ) );
		if ( is_wp_error( $response ) ) {
			return $response;
		}
		$status = (int) wp_remote_retrieve_response_code( $response );
		$body   = json_decode( wp_remote_retrieve_body( $response ), true );
		if ( 200 !== $status ) {
			$message = is_array( $body ) && isset( $body['message'] ) && is_string( $body['message'] ) ? $body['message'] : wp_remote_retrieve_response_message( $response );
			return new WP_Error(
				'consent_service_http',
				/* translators: 1: HTTP status code, 2: message from the service */
				sprintf( __( 'The service answered %1$d: %2$s', 'consent-service' ), $status, $message )
			);
		}
		if ( ! is_array( $body ) || ! isset( $body['policy_version'] ) ) {
			return new WP_Error( 'consent_service_body', __( 'The service did not answer with a site configuration.', 'consent-service' ) );
		}
		return $body;
	}

	/**
	 * GET from the service with wp_safe_remote_get: no redirects, https only, and no internal
	 * address or unusual port, except for a host allowed in CONSENT_SERVICE_ALLOWED_HOSTS.
	 *
	 * @param string $url     Absolute URL.
	 * @param int    $timeout Seconds.
	 * @return array|WP_Error The response, or why there is none (a redirect is an error).
	 */
	public static function safe_get( $url, $timeout = 3 ) {
		$parts   = wp_parse_url( $url );
		$scheme  = is_array( $parts ) && isset( $parts['scheme'] ) ? strtolower( $parts['scheme'] ) : '';
		$allowed = Consent_Service_Options::url_host_is_allowed( $url );
		if ( 'https' !== $scheme && ! ( 'http' === $scheme && $allowed ) ) {
			return new WP_Error( 'consent_service_scheme', __( 'The service URL must start with https:// (http:// only for a host allowed in CONSENT_SERVICE_ALLOWED_HOSTS).', 'consent-service' ) );
		}
		$host     = strtolower( (string) $parts['host'] );
		$port     = isset( $parts['port'] ) ? (int) $parts['port'] : ( 'http' === $scheme ? 80 : 443 );
		$external = static function ( $is_external, $checked ) use ( $host ) {
			return $is_external || strtolower( (string) $checked ) === $host;
		};
		$ports    = static function ( $list, $checked ) use ( $host, $port ) {
			return strtolower( (string) $checked ) === $host ? array_merge( (array) $list, array( $port ) ) : $list;
		};
		if ( $allowed ) {
			add_filter( 'http_request_host_is_external', $external, 10, 2 );
			add_filter( 'http_allowed_safe_ports', $ports, 10, 2 );
		}
		$response = wp_safe_remote_get(
			$url,
			array(
				'timeout'     => $timeout,
				'redirection' => 0,
				'headers'     => array( 'Accept' => 'application/json' ),
			)
		);
		if ( $allowed ) {
			remove_filter( 'http_request_host_is_external', $external, 10 );
			remove_filter( 'http_allowed_safe_ports', $ports, 10 );
		}
		if ( is_wp_error( $response ) ) {
			return $response;
		}
		$status = (int) wp_remote_retrieve_response_code( $response );
		if ( $status >= 300 && $status < 400 ) {
			return new WP_Error(
				'consent_service_redirect',
				/* translators: %d: HTTP status code */
				sprintf( __( 'The service answered with a redirect (%d), which is not followed: enter the address it redirects to.', 'consent-service' ), $status )
			);
		}
		return $response;
	}

	/**
	 * Keeps the parts of the config that server-side blocking needs.
	 *
	 * @param array $config The decoded config.
	 * @return array
	 */
	public static function summarise( array $config ) {
		$blocking = array();
		if ( isset( $config['blocking'] ) && is_array( $config['blocking'] ) ) {
			foreach ( $config['blocking'] as $rule ) {
				if ( ! is_array( $rule ) || empty( $rule['category'] ) || empty( $rule['hosts'] ) || ! is_array( $rule['hosts'] ) ) {
					continue;
				}
				$blocking[] = array(
					'service'  => isset( $rule['service'] ) ? (string) $rule['service'] : '',
					'category' => (string) $rule['category'],
					'hosts'    => array_values( array_map( 'strval', $rule['hosts'] ) ),
				);
			}
		}
		$services = array();
		if ( isset( $config['categories'] ) && is_array( $config['categories'] ) ) {
			foreach ( $config['categories'] as $category ) {
				if ( ! is_array( $category ) || empty( $category['id'] ) || ! empty( $category['required'] ) || empty( $category['services'] ) ) {
					continue;
				}
				foreach ( (array) $category['services'] as $service ) {
					if ( is_array( $service ) && ! empty( $service['id'] ) ) {
						$services[ (string) $service['id'] ] = (string) $category['id'];
					}
				}
			}
		}
		return array(
			'policy_version' => (int) $config['policy_version'],
			'blocking'       => $blocking,
			'services'       => $services,
		);
	}

	/**
	 * The category a script belongs to, from its handle or its source; null for none.
	 *
	 * @param array  $config A summarised config.
	 * @param string $handle Script handle.
	 * @param string $src    Script URL (absolute, protocol-relative or relative).
	 * @return string|null
	 */
	public static function category_for( array $config, $handle, $src ) {
		$category = self::match_src( $config['blocking'], (string) $src );
		if ( null !== $category ) {
			return $category;
		}
		$handle = strtolower( (string) $handle );
		foreach ( $config['services'] as $service => $service_category ) {
			if ( $handle === $service || 0 === strpos( $handle, $service . '-' ) || 0 === strpos( $handle, $service . '_' ) ) {
				return $service_category;
			}
		}
		return null;
	}

	/**
	 * Matches a URL against `blocking` rules the way the banner does: `host` or `*.host`,
	 * optionally followed by a path prefix; hosts case-insensitive, paths case-sensitive.
	 *
	 * @param array  $rules Blocking rules.
	 * @param string $src   Script URL.
	 * @return string|null The category of the first matching rule other than necessary.
	 */
	public static function match_src( array $rules, $src ) {
		$src = trim( $src );
		if ( '' === $src ) {
			return null;
		}
		if ( 0 === strpos( $src, '//' ) ) {
			$src = 'https:' . $src;
		}
		$parts = wp_parse_url( $src );
		if ( ! is_array( $parts ) || empty( $parts['host'] ) || ( isset( $parts['scheme'] ) && ! in_array( strtolower( $parts['scheme'] ), array( 'http', 'https' ), true ) ) ) {
			return null;
		}
		$host = strtolower( $parts['host'] );
		$path = isset( $parts['path'] ) && '' !== $parts['path'] ? $parts['path'] : '/';
		foreach ( $rules as $rule ) {
			if ( 'necessary' === $rule['category'] ) {
				continue;
			}
			foreach ( $rule['hosts'] as $pattern ) {
				if ( self::pattern_matches( $pattern, $host, $path ) ) {
					return $rule['category'];
				}
			}
		}
		return null;
	}

	/**
	 * One host pattern against a host and path.
	 *
	 * @param string $pattern Pattern `host[/path]` or `*.host[/path]`, scheme optional.
	 * @param string $host    Lowercase host.
	 * @param string $path    Path, starting with `/`.
	 * @return bool
	 */
	public static function pattern_matches( $pattern, $host, $path ) {
		$pattern = preg_replace( '#^([a-z]+:)?//#i', '', trim( $pattern ) );
		$slash   = strpos( $pattern . '/', '/' );
		$p_host  = strtolower( substr( $pattern, 0, $slash ) );
		$p_path  = (string) substr( $pattern, $slash );
		$wild    = 0 === strpos( $p_host, '*.' );
		if ( $wild ) {
			$p_host = substr( $p_host, 2 );
		}
		$host_ok = $host === $p_host || ( $wild && str_ends_with( $host, '.' . $p_host ) );
		return $host_ok && ( '' === $p_path || 0 === strpos( $path, $p_path ) );
	}
}
