<?php
/**
 * Plugin Name:       Consent Service
 * Plugin URI:        https://github.com/consent-service/consent-service
 * Description:       Connects the site to a self-hosted consent-service: prints its consent banner loader first in the head, holds back tracking scripts, iframes and pixels until consent (also those the theme hard-codes), tells the WP Consent API the visitor's choice, keeps the service's signed seal heads as a witness and adds a "Cookie settings" button (shortcode and block).
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.1
 * Author:            consent-service contributors
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       consent-service
 * Domain Path:       /languages
 *
 * @package ConsentService
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'CONSENT_SERVICE_VERSION', '0.1.0' );
define( 'CONSENT_SERVICE_FILE', __FILE__ );
define( 'CONSENT_SERVICE_DIR', plugin_dir_path( __FILE__ ) );

require_once CONSENT_SERVICE_DIR . 'includes/class-consent-service-options.php';
require_once CONSENT_SERVICE_DIR . 'includes/class-consent-service-remote-config.php';
require_once CONSENT_SERVICE_DIR . 'includes/class-consent-service-frontend.php';
require_once CONSENT_SERVICE_DIR . 'includes/class-consent-service-settings-button.php';
require_once CONSENT_SERVICE_DIR . 'includes/class-consent-service-rewriter.php';
require_once CONSENT_SERVICE_DIR . 'includes/class-consent-service-buffer.php';
require_once CONSENT_SERVICE_DIR . 'includes/class-consent-service-wp-consent-api.php';
require_once CONSENT_SERVICE_DIR . 'includes/class-consent-service-witness.php';
require_once CONSENT_SERVICE_DIR . 'includes/class-consent-service-site-health.php';

if ( is_admin() ) {
	require_once CONSENT_SERVICE_DIR . 'includes/class-consent-service-admin.php';
	Consent_Service_Admin::init();
}

Consent_Service_Frontend::init();
Consent_Service_Buffer::init();
Consent_Service_Settings_Button::init();
Consent_Service_Wp_Consent_Api::init();
Consent_Service_Witness::init();
Consent_Service_Site_Health::init();

register_deactivation_hook( __FILE__, 'consent_service_deactivate' );

/**
 * Removes the scheduled seal fetch of every site the plugin was active on.
 *
 * @param bool $network_wide Whether it was network-deactivated.
 */
function consent_service_deactivate( $network_wide = false ) {
	if ( is_multisite() && $network_wide ) {
		foreach ( get_sites( array( 'fields' => 'ids' ) ) as $site_id ) {
			switch_to_blog( $site_id );
			Consent_Service_Witness::unschedule();
			restore_current_blog();
		}
		return;
	}
	Consent_Service_Witness::unschedule();
}

add_action( 'init', 'consent_service_load_textdomain' );

/**
 * Loads the plugin's translations from its languages folder.
 */
function consent_service_load_textdomain() {
	load_plugin_textdomain( 'consent-service', false, dirname( plugin_basename( CONSENT_SERVICE_FILE ) ) . '/languages' );
}
