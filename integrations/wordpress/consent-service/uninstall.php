<?php
/**
 * Removes the plugin's options and transients when it is deleted.
 *
 * @package ConsentService
 */

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

/**
 * Deletes this plugin's data on the current site.
 */
function consent_service_uninstall_site() {
	global $wpdb;
	delete_option( 'consent_service_settings' );
	delete_option( 'consent_service_config_last' );
	delete_option( 'consent_service_witness' );
	wp_clear_scheduled_hook( 'consent_service_fetch_seals' );
	delete_transient( 'consent_service_config' );
	// Per-user "Test connection" results: consent_service_test_{user id}.
	// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- one-off clean-up of our own rows.
	$wpdb->query(
		$wpdb->prepare(
			"DELETE FROM {$wpdb->options} WHERE option_name LIKE %s OR option_name LIKE %s",
			$wpdb->esc_like( '_transient_consent_service_' ) . '%',
			$wpdb->esc_like( '_transient_timeout_consent_service_' ) . '%'
		)
	);
}

if ( is_multisite() ) {
	foreach ( get_sites( array( 'fields' => 'ids' ) ) as $consent_service_site_id ) {
		switch_to_blog( $consent_service_site_id );
		consent_service_uninstall_site();
		restore_current_blog();
	}
} else {
	consent_service_uninstall_site();
}
