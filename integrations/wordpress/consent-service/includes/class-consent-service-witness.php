<?php
/**
 * Witness: keeps the site's signed seal heads in the site's own database.
 *
 * @package ConsentService
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Fetches `GET {service}/api/v1/sites/{key}/seals?after=<last tree_size>` hourly (WP-Cron)
 * and stores every signed head. The operator of the service holds its database and key;
 * the heads kept here let `consent-service verify BUNDLE --witness FILE` detect a rewrite
 * of history after a witnessed head (docs/proof.md).
 */
class Consent_Service_Witness {

	const HOOK = 'consent_service_fetch_seals';

	const OPTION = 'consent_service_witness';

	const DOWNLOAD_ACTION = 'consent_service_witness_download';

	const PAGES_PER_RUN = 20;

	/**
	 * Hooks into WordPress.
	 */
	public static function init() {
		add_action( self::HOOK, array( __CLASS__, 'fetch' ) );
		// Scheduled per site (multisite: each site of the network has its own key and event).
		add_action( 'init', array( __CLASS__, 'schedule' ) );
		add_action( 'admin_post_' . self::DOWNLOAD_ACTION, array( __CLASS__, 'download' ) );
	}

	/**
	 * Schedules the hourly fetch on this site when the plugin is configured.
	 */
	public static function schedule() {
		if ( Consent_Service_Options::is_configured() && ! wp_next_scheduled( self::HOOK ) ) {
			wp_schedule_event( time() + 60, 'hourly', self::HOOK );
		}
	}

	/**
	 * Removes this site's event (deactivation).
	 */
	public static function unschedule() {
		wp_clear_scheduled_hook( self::HOOK );
	}

	/**
	 * The stored witness: site key, service URL and heads (oldest first).
	 *
	 * @return array{site_key: string, service_url: string, heads: array, last_error: string, checked: int}
	 */
	public static function get() {
		$value = get_option( self::OPTION, array() );
		$value = is_array( $value ) ? $value : array();
		return array(
			'site_key'    => isset( $value['site_key'] ) ? (string) $value['site_key'] : '',
			'service_url' => isset( $value['service_url'] ) ? (string) $value['service_url'] : '',
			'heads'       => isset( $value['heads'] ) && is_array( $value['heads'] ) ? $value['heads'] : array(),
			'last_error'  => isset( $value['last_error'] ) ? (string) $value['last_error'] : '',
			'checked'     => isset( $value['checked'] ) ? (int) $value['checked'] : 0,
		);
	}

	/**
	 * Fetches the heads after the last one kept and stores the new ones.
	 *
	 * @return int|WP_Error How many heads were added.
	 */
	public static function fetch() {
		if ( ! Consent_Service_Options::is_configured() ) {
			return 0;
		}
		$settings = Consent_Service_Options::get();
		$witness  = self::get();
		if ( $witness['site_key'] !== $settings['site_key'] ) {
			// Another site key: its heads are another log; start a witness of its own.
			$witness = array(
				'site_key'    => $settings['site_key'],
				'service_url' => $settings['service_url'],
				'heads'       => array(),
				'last_error'  => '',
				'checked'     => 0,
			);
		}
		$witness['service_url'] = $settings['service_url'];
		$added                  = 0;
		$error                  = '';
		for ( $page = 0; $page < self::PAGES_PER_RUN; $page++ ) {
			$last     = $witness['heads'] ? (int) end( $witness['heads'] )['tree_size'] : 0;
			$url      = untrailingslashit( $settings['service_url'] ) . '/api/v1/sites/' . rawurlencode( $settings['site_key'] ) . '/seals?after=' . $last . '&limit=1000';
			$response = Consent_Service_Remote_Config::safe_get( $url, 10 );
			if ( is_wp_error( $response ) ) {
				$error = $response->get_error_message();
				break;
			}
			$status = (int) wp_remote_retrieve_response_code( $response );
			$body   = json_decode( wp_remote_retrieve_body( $response ), true );
			if ( 200 !== $status || ! is_array( $body ) || ! isset( $body['heads'] ) || ! is_array( $body['heads'] ) ) {
				/* translators: %d: HTTP status code */
				$error = sprintf( __( 'The service did not answer with seal heads (HTTP %d).', 'consent-service' ), $status );
				break;
			}
			$fresh = self::accept_heads( $body['heads'], $last );
			if ( is_wp_error( $fresh ) ) {
				$error = $fresh->get_error_message();
				break;
			}
			$witness['heads'] = array_merge( $witness['heads'], $fresh );
			$added           += count( $fresh );
			if ( ! $fresh || empty( $body['next_after'] ) ) {
				break;
			}
		}
		$witness['last_error'] = $error;
		$witness['checked']    = time();
		update_option( self::OPTION, $witness, false );
		return '' === $error ? $added : new WP_Error( 'consent_service_witness', $error );
	}

	/**
	 * Checks served heads: the contract's fields and types, tree sizes growing past `$after`.
	 * A head is kept exactly as served (the verifier checks its signature).
	 *
	 * @param array $heads Heads from the service, oldest first.
	 * @param int   $after Tree size of the last head kept.
	 * @return array|WP_Error The heads to add.
	 */
	public static function accept_heads( array $heads, $after ) {
		$out  = array();
		$last = (int) $after;
		foreach ( $heads as $head ) {
			$ok = is_array( $head )
				&& isset( $head['tree_size'], $head['root_hash'], $head['timestamp'], $head['key_fingerprint'], $head['signature'] )
				&& is_int( $head['tree_size'] ) && $head['tree_size'] > $last
				&& is_string( $head['root_hash'] ) && 1 === preg_match( '/^[0-9a-f]{64}$/D', $head['root_hash'] )
				&& is_string( $head['timestamp'] ) && strlen( $head['timestamp'] ) <= 40
				&& is_string( $head['key_fingerprint'] ) && 1 === preg_match( '/^sha256:[0-9a-f]{64}$/D', $head['key_fingerprint'] )
				&& is_string( $head['signature'] ) && 1 === preg_match( '#^[A-Za-z0-9+/]+={0,2}$#D', $head['signature'] ) && strlen( $head['signature'] ) <= 200;
			if ( ! $ok ) {
				return new WP_Error( 'consent_service_witness_head', __( 'The service sent a seal head that is malformed or does not grow the log; nothing was stored.', 'consent-service' ) );
			}
			$last  = $head['tree_size'];
			$out[] = $head;
		}
		return $out;
	}

	/**
	 * The witness file for `consent-service verify BUNDLE --witness FILE`.
	 *
	 * @return array{site_key: string, heads: array}
	 */
	public static function file() {
		$witness = self::get();
		return array(
			'site_key' => $witness['site_key'],
			'heads'    => array_values( $witness['heads'] ),
		);
	}

	/**
	 * Sends the witness file (admin-post, nonce and capability).
	 */
	public static function download() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You do not have permission to change these settings.', 'consent-service' ), 403 );
		}
		check_admin_referer( self::DOWNLOAD_ACTION );
		$file = self::file();
		$name = 'witness-' . sanitize_file_name( '' !== $file['site_key'] ? $file['site_key'] : 'site' ) . '.json';
		nocache_headers();
		header( 'Content-Type: application/json; charset=utf-8' );
		header( 'Content-Disposition: attachment; filename="' . $name . '"' );
		header( 'X-Content-Type-Options: nosniff' );
		echo wp_json_encode( $file, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES );
		exit;
	}
}
