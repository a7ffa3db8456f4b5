<?php
/**
 * Plugin Name:       Consent Service
 * Plugin URI:        https://github.com/consent-service/consent-service
 * Description:       Connects the site to a self-hosted consent-service: prints its consent banner loader first in the head, holds back tracking scripts until consent and adds a "Cookie settings" button (shortcode and block).
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

if ( is_admin() ) {
	require_once CONSENT_SERVICE_DIR . 'includes/class-consent-service-admin.php';
	Consent_Service_Admin::init();
}

Consent_Service_Frontend::init();
Consent_Service_Settings_Button::init();

add_action( 'init', 'consent_service_load_textdomain' );

/**
 * Loads the plugin's translations from its languages folder.
 */
function consent_service_load_textdomain() {
	load_plugin_textdomain( 'consent-service', false, dirname( plugin_basename( CONSENT_SERVICE_FILE ) ) . '/languages' );
}
