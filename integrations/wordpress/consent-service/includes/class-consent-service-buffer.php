<?php
/**
 * Server-side blocking: an output buffer over the front-end page.
 *
 * @package ConsentService
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Buffers the page from `template_redirect` to the end of the request and rewrites the tags
 * of known trackers, whatever printed them (theme templates, widgets, post content,
 * wp_head/wp_footer callbacks). The rewritten page does not depend on the visitor or their
 * consent, so a page cache may store it and serve it to everyone.
 */
class Consent_Service_Buffer {

	/**
	 * Output buffer level of ours, 0 when not started.
	 *
	 * @var int
	 */
	private static $level = 0;

	/**
	 * Chunks flushed early by someone else's ob_flush(), held until the end.
	 *
	 * @var string
	 */
	private static $held = '';

	/**
	 * Hooks into WordPress.
	 */
	public static function init() {
		// template_redirect runs for front-end page loads only: not for the admin, REST,
		// admin-ajax, cron or XML-RPC. Its earliest priority catches redirects' templates too.
		add_action( 'template_redirect', array( __CLASS__, 'start' ), PHP_INT_MIN );
	}

	/**
	 * Starts the buffer when this request is an HTML page of the site.
	 */
	public static function start() {
		if ( 0 !== self::$level || ! self::wanted() ) {
			return;
		}
		ob_start( array( __CLASS__, 'callback' ) );
		self::$level = ob_get_level();
		// WordPress flushes every buffer at shutdown (wp_ob_end_flush_all, priority 1).
	}

	/**
	 * Whether to buffer this request: not feeds, REST, JSON, AMP, embeds, the block editor's
	 * previews or the Customizer, and not when a filter says no.
	 *
	 * @return bool
	 */
	public static function wanted() {
		if ( ! Consent_Service_Options::is_configured() || is_admin() || wp_doing_ajax() || wp_doing_cron() ) {
			return false;
		}
		if ( ( defined( 'REST_REQUEST' ) && REST_REQUEST ) || ( defined( 'XMLRPC_REQUEST' ) && XMLRPC_REQUEST ) || ( defined( 'WP_CLI' ) && WP_CLI ) ) {
			return false;
		}
		if ( wp_is_json_request() || is_feed() || is_robots() || is_trackback() || is_embed() || is_customize_preview() ) {
			return false;
		}
		if ( ( function_exists( 'amp_is_request' ) && amp_is_request() ) || ( function_exists( 'is_amp_endpoint' ) && is_amp_endpoint() ) ) {
			return false;
		}
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- only reads which screen this is.
		if ( isset( $_GET['_wp-find-template'] ) || isset( $_GET['legacy-widget-preview'] ) || isset( $_GET['wp_theme_preview'] ) ) {
			return false;
		}
		/**
		 * Filters whether the page is rewritten (server-side blocking) on this request.
		 *
		 * @param bool $rewrite True to rewrite.
		 */
		return (bool) apply_filters( 'consent_service_rewrite_page', true );
	}

	/**
	 * The buffer's callback: holds early flushes back, rewrites the whole page at the end.
	 *
	 * @param string $chunk Output since the last call.
	 * @param int    $phase PHP_OUTPUT_HANDLER_* bits.
	 * @return string
	 */
	public static function callback( $chunk, $phase ) {
		if ( ! ( $phase & PHP_OUTPUT_HANDLER_FINAL ) && ! ( $phase & PHP_OUTPUT_HANDLER_CLEAN ) ) {
			// A tag may be cut in two at an early flush: keep everything for the end.
			self::$held .= $chunk;
			return '';
		}
		if ( $phase & PHP_OUTPUT_HANDLER_CLEAN ) {
			self::$held = '';
			return $chunk;
		}
		$html        = self::$held . $chunk;
		self::$held  = '';
		self::$level = 0;
		return self::process( $html );
	}

	/**
	 * Rewrites a finished page when it is HTML with our loader in it.
	 *
	 * @param string $html The page.
	 * @return string
	 */
	public static function process( $html ) {
		if ( '' === $html || ! Consent_Service_Frontend::loader_printed() || ! self::is_html_response( $html ) ) {
			return $html;
		}
		$config = Consent_Service_Remote_Config::get();
		if ( null === $config || empty( $config['blocking'] ) ) {
			return $html;
		}
		/**
		 * Filters the parser of the page rewrite: 'tokenizer' (the default, fast) or
		 * 'html-api' (WP_HTML_Tag_Processor, WordPress 6.5+, about ten times slower).
		 *
		 * @param string $parser Parser.
		 */
		$parser = apply_filters( 'consent_service_html_parser', 'tokenizer' );
		return self::rewriter( $config )->rewrite( $html, is_string( $parser ) ? $parser : 'tokenizer' );
	}

	/**
	 * A rewriter for a config, with the `consent_service_tag_category` and
	 * `consent_service_inline_signatures` filters.
	 *
	 * @param array $config A summarised config.
	 * @return Consent_Service_Rewriter
	 */
	public static function rewriter( array $config ) {
		/**
		 * Filters the regexes that recognise inline code of catalog services naming no host.
		 *
		 * @param array $signatures Service id => PCRE pattern.
		 */
		$signatures = apply_filters( 'consent_service_inline_signatures', Consent_Service_Rewriter::SIGNATURES );
		return new Consent_Service_Rewriter(
			$config['blocking'],
			is_array( $signatures ) ? $signatures : Consent_Service_Rewriter::SIGNATURES,
			static function ( $category, $tag, $url, $attrs ) {
				/**
				 * Filters the category a tag is held back for; null (or '') leaves it as is.
				 *
				 * @param string $category Category id.
				 * @param string $tag      script, iframe, img or link.
				 * @param string $url      Its URL ('' for inline scripts).
				 * @param array  $attrs    Its attributes, lowercase names.
				 */
				return apply_filters( 'consent_service_tag_category', $category, $tag, $url, $attrs );
			}
		);
	}

	/**
	 * Whether the response is an HTML document: no non-HTML Content-Type was sent and the
	 * body looks like HTML (not JSON, XML or a file).
	 *
	 * @param string $html The body.
	 * @return bool
	 */
	public static function is_html_response( $html ) {
		foreach ( headers_list() as $header ) {
			if ( 0 === stripos( $header, 'content-type:' ) && false === stripos( $header, 'text/html' ) ) {
				return false;
			}
		}
		$start = ltrim( substr( $html, 0, 512 ) );
		return '' !== $start && '<' === $start[0] && 0 !== strncmp( $start, '<?xml', 5 );
	}
}
