<?php
/**
 * Settings > Consent Service: service URL, site key and "Test connection".
 *
 * @package ConsentService
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The settings page (Settings API) and the connection test (admin-post with a nonce).
 */
class Consent_Service_Admin {

	const PAGE = 'consent-service';

	const GROUP = 'consent_service';

	const TEST_ACTION = 'consent_service_test_connection';

	/**
	 * Hooks into WordPress.
	 */
	public static function init() {
		add_action( 'admin_menu', array( __CLASS__, 'add_page' ) );
		add_action( 'admin_init', array( __CLASS__, 'register_settings' ) );
		add_action( 'admin_post_' . self::TEST_ACTION, array( __CLASS__, 'test_connection' ) );
		add_action( 'update_option_' . Consent_Service_Options::OPTION, array( 'Consent_Service_Remote_Config', 'flush' ) );
		add_action( 'add_option_' . Consent_Service_Options::OPTION, array( 'Consent_Service_Remote_Config', 'flush' ) );
		add_filter( 'plugin_action_links_' . plugin_basename( CONSENT_SERVICE_FILE ), array( __CLASS__, 'action_links' ) );
	}

	/**
	 * Adds the page under Settings.
	 */
	public static function add_page() {
		add_options_page(
			__( 'Consent Service', 'consent-service' ),
			__( 'Consent Service', 'consent-service' ),
			'manage_options',
			self::PAGE,
			array( __CLASS__, 'render_page' )
		);
	}

	/**
	 * A "Settings" link on the Plugins screen.
	 *
	 * @param array $links Existing links.
	 * @return array
	 */
	public static function action_links( $links ) {
		$url = admin_url( 'options-general.php?page=' . self::PAGE );
		array_unshift( $links, '<a href="' . esc_url( $url ) . '">' . esc_html__( 'Settings', 'consent-service' ) . '</a>' );
		return $links;
	}

	/**
	 * Registers the option, its section and fields.
	 */
	public static function register_settings() {
		register_setting(
			self::GROUP,
			Consent_Service_Options::OPTION,
			array(
				'type'              => 'array',
				'sanitize_callback' => array( __CLASS__, 'sanitize' ),
				'default'           => array(
					'service_url' => '',
					'site_key'    => '',
				),
				'show_in_rest'      => false,
			)
		);
		add_settings_section(
			'consent_service_connection',
			__( 'Connection', 'consent-service' ),
			array( __CLASS__, 'render_section' ),
			self::PAGE
		);
		add_settings_field(
			'consent_service_service_url',
			__( 'Service URL', 'consent-service' ),
			array( __CLASS__, 'render_field' ),
			self::PAGE,
			'consent_service_connection',
			array(
				'label_for'   => 'consent_service_service_url',
				'key'         => 'service_url',
				'type'        => 'url',
				'placeholder' => 'https://consent.example.fi',
				'help'        => __( 'The address of your consent-service, https:// (http:// only for localhost).', 'consent-service' ),
			)
		);
		add_settings_field(
			'consent_service_site_key',
			__( 'Site key', 'consent-service' ),
			array( __CLASS__, 'render_field' ),
			self::PAGE,
			'consent_service_connection',
			array(
				'label_for'   => 'consent_service_site_key',
				'key'         => 'site_key',
				'type'        => 'text',
				'placeholder' => 'pk_…',
				'help'        => __( 'The public key of this site, shown in the consent-service admin.', 'consent-service' ),
			)
		);
	}

	/**
	 * Validates the submitted settings; a bad field keeps its previous value.
	 *
	 * @param mixed $input Submitted value.
	 * @return array
	 */
	public static function sanitize( $input ) {
		$old   = Consent_Service_Options::get();
		$input = is_array( $input ) ? $input : array(); // options.php has unslashed it.
		$out   = $old;

		$url = Consent_Service_Options::validate_service_url( isset( $input['service_url'] ) ? sanitize_text_field( $input['service_url'] ) : '' );
		if ( is_wp_error( $url ) ) {
			add_settings_error( Consent_Service_Options::OPTION, $url->get_error_code(), $url->get_error_message() );
		} else {
			$out['service_url'] = $url;
		}

		$key = Consent_Service_Options::validate_site_key( isset( $input['site_key'] ) ? sanitize_text_field( $input['site_key'] ) : '' );
		if ( is_wp_error( $key ) ) {
			add_settings_error( Consent_Service_Options::OPTION, $key->get_error_code(), $key->get_error_message() );
		} else {
			$out['site_key'] = $key;
		}
		return $out;
	}

	/**
	 * Section intro.
	 */
	public static function render_section() {
		echo '<p>' . esc_html__( 'The banner loader is printed first in every page\'s head. Scripts of the services your policy lists are held back until the visitor consents.', 'consent-service' ) . '</p>';
	}

	/**
	 * One text input.
	 *
	 * @param array $args Field arguments.
	 */
	public static function render_field( $args ) {
		$settings = Consent_Service_Options::get();
		printf(
			'<input type="%1$s" class="regular-text code" id="%2$s" name="%3$s[%4$s]" value="%5$s" placeholder="%6$s" autocomplete="off" spellcheck="false" /><p class="description">%7$s</p>',
			esc_attr( $args['type'] ),
			esc_attr( $args['label_for'] ),
			esc_attr( Consent_Service_Options::OPTION ),
			esc_attr( $args['key'] ),
			esc_attr( $settings[ $args['key'] ] ),
			esc_attr( $args['placeholder'] ),
			esc_html( $args['help'] )
		);
	}

	/**
	 * The page.
	 */
	public static function render_page() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You do not have permission to change these settings.', 'consent-service' ), 403 );
		}
		$result_key = self::result_key();
		$result     = get_transient( $result_key );
		if ( is_array( $result ) ) {
			delete_transient( $result_key );
		}
		?>
		<div class="wrap">
			<h1><?php echo esc_html( get_admin_page_title() ); ?></h1>
			<?php settings_errors( Consent_Service_Options::OPTION ); ?>
			<?php if ( is_array( $result ) ) : ?>
				<div class="notice <?php echo esc_attr( $result['ok'] ? 'notice-success' : 'notice-error' ); ?> is-dismissible" id="consent-service-test-result">
					<p><?php echo esc_html( $result['message'] ); ?></p>
				</div>
			<?php endif; ?>
			<form action="<?php echo esc_url( admin_url( 'options.php' ) ); ?>" method="post">
				<?php
				settings_fields( self::GROUP );
				do_settings_sections( self::PAGE );
				submit_button();
				?>
			</form>
			<h2><?php esc_html_e( 'Test connection', 'consent-service' ); ?></h2>
			<p><?php esc_html_e( 'Fetches the published configuration of the saved site key and shows its policy version.', 'consent-service' ); ?></p>
			<form action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" method="post">
				<input type="hidden" name="action" value="<?php echo esc_attr( self::TEST_ACTION ); ?>" />
				<?php wp_nonce_field( self::TEST_ACTION ); ?>
				<?php submit_button( __( 'Test connection', 'consent-service' ), 'secondary', 'consent_service_test', false, Consent_Service_Options::is_configured() ? array() : array( 'disabled' => 'disabled' ) ); ?>
			</form>
			<?php $witness = Consent_Service_Witness::get(); ?>
			<h2><?php esc_html_e( 'Witness of the consent log', 'consent-service' ); ?></h2>
			<p><?php esc_html_e( 'Every hour this site fetches the signed seal heads of its consent log from the service and keeps them in its own database. Give the witness file to whoever verifies a proof bundle: it shows whether the log was rewritten after a kept head.', 'consent-service' ); ?></p>
			<p id="consent-service-witness-status">
				<?php
				$last_head = $witness['heads'] ? end( $witness['heads'] ) : null;
				printf(
					/* translators: 1: number of seal heads kept, 2: events covered by the last one */
					esc_html__( 'Seal heads kept: %1$d; the last covers %2$d consent events.', 'consent-service' ),
					count( $witness['heads'] ),
					$last_head ? (int) $last_head['tree_size'] : 0
				);
				if ( '' !== $witness['last_error'] ) {
					echo ' ' . esc_html( $witness['last_error'] );
				}
				?>
			</p>
			<form action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" method="post">
				<input type="hidden" name="action" value="<?php echo esc_attr( Consent_Service_Witness::DOWNLOAD_ACTION ); ?>" />
				<?php wp_nonce_field( Consent_Service_Witness::DOWNLOAD_ACTION ); ?>
				<?php submit_button( __( 'Download witness file', 'consent-service' ), 'secondary', 'consent_service_witness', false, $witness['heads'] ? array() : array( 'disabled' => 'disabled' ) ); ?>
			</form>
			<h2><?php esc_html_e( 'Cookie settings button', 'consent-service' ); ?></h2>
			<p>
				<?php
				printf(
					/* translators: %s: the shortcode */
					esc_html__( 'Let visitors change or withdraw their consent: add the "Cookie settings button" block or the shortcode %s, for example in the footer or the privacy notice.', 'consent-service' ),
					'<code>[consent_settings]</code>'
				);
				?>
			</p>
		</div>
		<?php
	}

	/**
	 * Handles "Test connection": nonce, capability, fetch, then back to the page.
	 */
	public static function test_connection() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You do not have permission to change these settings.', 'consent-service' ), 403 );
		}
		check_admin_referer( self::TEST_ACTION );
		$settings = Consent_Service_Options::get();
		if ( ! Consent_Service_Options::is_configured() ) {
			$result = array(
				'ok'      => false,
				'message' => __( 'Save the service URL and the site key first.', 'consent-service' ),
			);
		} else {
			$config = Consent_Service_Remote_Config::fetch( $settings['service_url'], $settings['site_key'] );
			if ( is_wp_error( $config ) ) {
				$result = array(
					'ok'      => false,
					/* translators: %s: the error */
					'message' => sprintf( __( 'Connection failed: %s', 'consent-service' ), $config->get_error_message() ),
				);
			} else {
				Consent_Service_Remote_Config::flush();
				$result = array(
					'ok'      => true,
					/* translators: %d: policy version number */
					'message' => sprintf( __( 'Connected. Published policy version: %d', 'consent-service' ), (int) $config['policy_version'] ),
				);
			}
		}
		set_transient( self::result_key(), $result, MINUTE_IN_SECONDS );
		wp_safe_redirect( admin_url( 'options-general.php?page=' . self::PAGE ) );
		exit;
	}

	/**
	 * Transient holding the current user's last test result.
	 *
	 * @return string
	 */
	private static function result_key() {
		return 'consent_service_test_' . get_current_user_id();
	}
}
