<?php
/**
 * Site Health tests and the admin notice when the service cannot be reached.
 *
 * @package ConsentService
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Tools > Site Health: service reachable, policy published, loader first in `<head>`.
 */
class Consent_Service_Site_Health {

	/**
	 * This request's fresh config fetch, shared by the tests.
	 *
	 * @var array|WP_Error|null
	 */
	private static $fetched = null;

	/**
	 * Hooks into WordPress.
	 */
	public static function init() {
		add_filter( 'site_status_tests', array( __CLASS__, 'register' ) );
		add_action( 'admin_notices', array( __CLASS__, 'notice' ) );
	}

	/**
	 * Adds the direct tests.
	 *
	 * @param array $tests Site Health tests.
	 * @return array
	 */
	public static function register( $tests ) {
		$tests['direct']['consent_service_reachable'] = array(
			'label' => __( 'The consent-service can be reached', 'consent-service' ),
			'test'  => array( __CLASS__, 'test_reachable' ),
		);
		$tests['direct']['consent_service_policy']    = array(
			'label' => __( 'A consent policy is published', 'consent-service' ),
			'test'  => array( __CLASS__, 'test_policy' ),
		);
		$tests['direct']['consent_service_loader']    = array(
			'label' => __( 'The consent banner loader is the first script in the head', 'consent-service' ),
			'test'  => array( __CLASS__, 'test_loader_first' ),
		);
		$tests['direct']['consent_service_scan']      = array(
			'label' => __( 'Site scans', 'consent-service' ),
			'test'  => array( __CLASS__, 'test_scan' ),
		);
		return $tests;
	}

	/**
	 * A Site Health result.
	 *
	 * @param string $test        Test id.
	 * @param string $status      One of good, recommended, critical.
	 * @param string $label       Heading.
	 * @param string $description Plain text.
	 * @return array
	 */
	private static function result( $test, $status, $label, $description ) {
		return array(
			'label'       => $label,
			'status'      => $status,
			'badge'       => array(
				'label' => __( 'Privacy', 'consent-service' ),
				'color' => 'critical' === $status ? 'red' : 'blue',
			),
			'description' => '<p>' . esc_html( $description ) . '</p>',
			'actions'     => sprintf(
				'<p><a href="%s">%s</a></p>',
				esc_url( admin_url( 'options-general.php?page=consent-service' ) ),
				esc_html__( 'Consent Service settings', 'consent-service' )
			),
			'test'        => $test,
		);
	}

	/**
	 * The config, fetched now (not from the cache).
	 *
	 * @return array|WP_Error|null Null when not configured.
	 */
	private static function fetched() {
		if ( ! Consent_Service_Options::is_configured() ) {
			return null;
		}
		if ( null === self::$fetched ) {
			$settings      = Consent_Service_Options::get();
			self::$fetched = Consent_Service_Remote_Config::fetch( $settings['service_url'], $settings['site_key'] );
		}
		return self::$fetched;
	}

	/**
	 * Service reachable.
	 *
	 * @return array
	 */
	public static function test_reachable() {
		$config = self::fetched();
		if ( null === $config ) {
			return self::result( 'consent_service_reachable', 'critical', __( 'The consent-service is not configured', 'consent-service' ), __( 'Enter the service URL and the site key: until then no banner is shown and nothing is held back.', 'consent-service' ) );
		}
		if ( is_wp_error( $config ) && 'consent_service_http' !== $config->get_error_code() ) {
			/* translators: %s: the error */
			return self::result( 'consent_service_reachable', 'critical', __( 'The consent-service cannot be reached', 'consent-service' ), sprintf( __( 'The last good configuration keeps trackers held back, but visitors get no banner while the service is down. Error: %s', 'consent-service' ), $config->get_error_message() ) );
		}
		return self::result( 'consent_service_reachable', 'good', __( 'The consent-service can be reached', 'consent-service' ), __( 'The site fetched its configuration from the service.', 'consent-service' ) );
	}

	/**
	 * Policy published.
	 *
	 * @return array
	 */
	public static function test_policy() {
		$config = self::fetched();
		if ( is_array( $config ) ) {
			/* translators: %d: policy version */
			return self::result( 'consent_service_policy', 'good', __( 'A consent policy is published', 'consent-service' ), sprintf( __( 'Published policy version: %d', 'consent-service' ), (int) $config['policy_version'] ) );
		}
		$why = is_wp_error( $config ) ? $config->get_error_message() : __( 'The plugin is not configured.', 'consent-service' );
		/* translators: %s: the reason */
		return self::result( 'consent_service_policy', 'critical', __( 'No consent policy is published for this site', 'consent-service' ), sprintf( __( 'Publish the site\'s policy in the consent-service admin. %s', 'consent-service' ), $why ) );
	}

	/**
	 * Loader first: fetches the home page as a visitor and finds the first script that runs.
	 *
	 * @return array
	 */
	public static function test_loader_first() {
		if ( ! Consent_Service_Options::is_configured() ) {
			return self::result( 'consent_service_loader', 'critical', __( 'The consent banner loader is not printed', 'consent-service' ), __( 'The plugin is not configured.', 'consent-service' ) );
		}
		// A loopback request to this site, as WordPress' own loopback test makes it.
		$response = wp_remote_get(
			home_url( '/' ),
			array(
				'timeout'   => 10,
				'sslverify' => false,
				'cookies'   => array(),
			)
		);
		if ( is_wp_error( $response ) || 200 !== (int) wp_remote_retrieve_response_code( $response ) ) {
			$why = is_wp_error( $response ) ? $response->get_error_message() : 'HTTP ' . (int) wp_remote_retrieve_response_code( $response );
			/* translators: %s: the error */
			return self::result( 'consent_service_loader', 'recommended', __( 'The home page could not be checked for the banner loader', 'consent-service' ), sprintf( __( 'The site could not load its own home page: %s', 'consent-service' ), $why ) );
		}
		$first = self::first_running_script( wp_remote_retrieve_body( $response ) );
		if ( null !== $first && false !== strpos( $first, 'consent-service-loader' ) ) {
			return self::result( 'consent_service_loader', 'good', __( 'The consent banner loader is the first script in the head', 'consent-service' ), __( 'Consent Mode defaults and blocking are in place before any other script runs.', 'consent-service' ) );
		}
		/* translators: %s: the start of the first script tag */
		return self::result( 'consent_service_loader', 'critical', __( 'A script runs before the consent banner loader', 'consent-service' ), sprintf( __( 'The theme or a plugin prints a script before wp_head(), and it runs before consent is known: %s', 'consent-service' ), null === $first ? __( '(the loader is missing)', 'consent-service' ) : substr( $first, 0, 160 ) ) );
	}

	/**
	 * Site scans: where the latest scan's report is. The findings themselves need the
	 * service's scan list, which a public site key cannot read (it needs an API key).
	 *
	 * @return array
	 */
	public static function test_scan() {
		if ( ! Consent_Service_Options::is_configured() ) {
			return self::result( 'consent_service_scan', 'recommended', __( 'Site scans', 'consent-service' ), __( 'The plugin is not configured.', 'consent-service' ) );
		}
		$settings       = Consent_Service_Options::get();
		$report         = untrailingslashit( $settings['service_url'] ) . '/admin/sites/' . rawurlencode( $settings['site_key'] ) . '/scans';
		$out            = self::result( 'consent_service_scan', 'recommended', __( 'Check the latest site scan', 'consent-service' ), __( 'The consent-service scans the site in a browser and lists trackers that load before consent, cookies and what the privacy notice is missing. Run a scan after changing themes or plugins and read its findings.', 'consent-service' ) );
		$out['actions'] .= sprintf( '<p><a href="%s" target="_blank" rel="noopener">%s</a></p>', esc_url( $report ), esc_html__( 'Scan reports in the consent-service admin', 'consent-service' ) );
		return $out;
	}

	/**
	 * The first `<script>` start tag in the head that a browser runs (not held back with
	 * type="text/plain" and not data such as JSON-LD).
	 *
	 * @param string $html The page.
	 * @return string|null
	 */
	public static function first_running_script( $html ) {
		$end  = stripos( $html, '</head' );
		$head = false === $end ? $html : substr( $html, 0, $end );
		// The page's comments can hold old markup; they do not run.
		$head = preg_replace( '/<!--.*?-->/s', '', $head );
		if ( ! preg_match_all( '/<script\b[^>]*>/i', $head, $m ) ) {
			return null;
		}
		foreach ( $m[0] as $tag ) {
			$type = preg_match( '/\stype\s*=\s*(["\']?)([^"\'\s>]*)\1/i', $tag, $t ) ? strtolower( $t[2] ) : '';
			if ( Consent_Service_Rewriter::runnable( $type ) ) {
				return $tag;
			}
		}
		return null;
	}

	/**
	 * Admin notice while the service cannot be reached (from the config cache: no request).
	 */
	public static function notice() {
		if ( ! current_user_can( 'manage_options' ) || ! Consent_Service_Options::is_configured() ) {
			return;
		}
		$cached = get_transient( Consent_Service_Remote_Config::TRANSIENT );
		if ( ! is_array( $cached ) || empty( $cached['error'] ) ) {
			return;
		}
		printf(
			'<div class="notice notice-error" id="consent-service-unreachable"><p><strong>%1$s</strong> %2$s <a href="%3$s">%4$s</a></p></div>',
			esc_html__( 'The consent-service cannot be reached.', 'consent-service' ),
			/* translators: %s: the error */
			esc_html( sprintf( __( 'Trackers stay held back with the last good configuration, but visitors get no consent banner. Error: %s', 'consent-service' ), $cached['error'] ) ),
			esc_url( admin_url( 'site-health.php' ) ),
			esc_html__( 'Site Health', 'consent-service' )
		);
	}
}
