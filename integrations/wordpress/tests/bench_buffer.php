<?php
/**
 * Benchmark of server-side blocking: what the output buffer adds to a 200 KB page.
 *
 * Usage: php integrations/wordpress/tests/bench_buffer.php [plugin dir] [runs]
 * Prints one JSON object: page size, trackers rewritten, median milliseconds of the page
 * through an output buffer with an identity callback (baseline) and with the plugin's
 * rewrite, the difference (the target is at most 5 ms) and the ratio, measured in one run.
 *
 * @package ConsentService
 */

define( 'ABSPATH', __DIR__ . '/' );

$plugin = isset( $argv[1] ) ? $argv[1] : dirname( __DIR__ ) . '/consent-service';
$runs   = isset( $argv[2] ) ? max( 5, (int) $argv[2] ) : 41;
// Optional: a WordPress 6.5+ wp-includes, to time WP_HTML_Tag_Processor instead.
$wp_includes = isset( $argv[3] ) ? rtrim( $argv[3], '/' ) : '';
require $plugin . '/includes/class-consent-service-rewriter.php';
if ( '' !== $wp_includes ) {
	/**
	 * Stub of WordPress' esc_attr().
	 *
	 * @param string $text Text.
	 * @return string
	 */
	function esc_attr( $text ) {
		return htmlspecialchars( (string) $text, ENT_QUOTES, 'UTF-8' );
	}
	/**
	 * Stub of WordPress' wp_kses_uri_attributes().
	 *
	 * @return string[]
	 */
	function wp_kses_uri_attributes() {
		return array( 'href', 'src' );
	}
	foreach ( array( 'class-wp-token-map.php', 'html-api/class-wp-html-attribute-token.php', 'html-api/class-wp-html-span.php', 'html-api/class-wp-html-text-replacement.php', 'html-api/class-wp-html-decoder.php', 'html-api/html5-named-character-references.php', 'html-api/class-wp-html-doctype-info.php', 'html-api/class-wp-html-tag-processor.php' ) as $file ) {
		if ( file_exists( $wp_includes . '/' . $file ) ) {
			require $wp_includes . '/' . $file;
		}
	}
}
$method = '' !== $wp_includes ? 'rewrite_with_tag_processor' : 'rewrite_with_tokenizer';

/**
 * A page as WordPress themes print them: a head with styles and scripts, a post list with
 * images (srcset), links, paragraphs, a few inline scripts and JSON-LD, and the trackers
 * the e2e theme hard-codes, repeated to the requested size.
 *
 * @param int $size Bytes wanted.
 * @return string
 */
function consent_service_bench_page( $size ) {
	$head = '<!DOCTYPE html><html lang="fi"><head><meta charset="UTF-8">'
		. '<script async src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>'
		. "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}gtag('js',new Date());gtag('config','G-1');</script>"
		. '<script src="https://cs.example/loader/pk_1.js" id="consent-service-loader"></script>'
		. '<title>Kahvila</title><link rel="stylesheet" id="theme-css" href="/wp-content/themes/t/style.css?ver=1.0" media="all">'
		. '<style id="global-styles-inline-css">body{--wp--preset--color--black:#000;--wp--preset--color--white:#fff;}.has-black-color{color:var(--wp--preset--color--black)!important}</style>'
		. '<script type="application/ld+json">{"@context":"https://schema.org","@type":"WebSite","url":"https://kahvila.example/"}</script>'
		. "<script>!function(f,b,e,v,n,t,s){if(f.fbq)return;n=f.fbq=function(){n.callMethod?n.callMethod.apply(n,arguments):n.queue.push(arguments)};t=b.createElement(e);t.async=!0;t.src=v;s=b.getElementsByTagName(e)[0];s.parentNode.insertBefore(t,s)}(window,document,'script','https://connect.facebook.net/en_US/fbevents.js');fbq('init','1');fbq('track','PageView');</script>"
		. '</head><body class="home page-template-default page page-id-2 wp-embed-responsive"><div id="page" class="site"><header id="masthead" class="site-header"><nav class="main-navigation"><ul id="primary-menu" class="menu"><li class="menu-item"><a href="/">Etusivu</a></li><li class="menu-item"><a href="/menu/">Menu</a></li><li class="menu-item"><a href="/yhteystiedot/">Yhteystiedot</a></li></ul></nav></header><main id="main">';
	$i    = 0;
	$body = '';
	while ( strlen( $head ) + strlen( $body ) < $size ) {
		++$i;
		$body .= '<article id="post-' . $i . '" class="post-' . $i . ' post type-post status-publish format-standard has-post-thumbnail hentry category-uutiset">'
			. '<header class="entry-header"><h2 class="entry-title"><a href="https://kahvila.example/' . $i . '/" rel="bookmark">Uusi paahto numero ' . $i . '</a></h2>'
			. '<div class="entry-meta"><span class="posted-on"><time class="entry-date published" datetime="2026-12-0' . ( $i % 9 + 1 ) . 'T10:00:00+02:00">' . $i . '.12.2026</time></span></div></header>'
			. '<div class="post-thumbnail"><img width="1024" height="683" src="/wp-content/uploads/2026/12/paahto-' . $i . '-1024x683.jpg" class="attachment-post-thumbnail wp-post-image" alt="" decoding="async" loading="lazy"'
			. ' srcset="/wp-content/uploads/2026/12/paahto-' . $i . '-1024x683.jpg 1024w, /wp-content/uploads/2026/12/paahto-' . $i . '-300x200.jpg 300w, /wp-content/uploads/2026/12/paahto-' . $i . '-768x512.jpg 768w" sizes="(max-width: 1024px) 100vw, 1024px" /></div>'
			. '<div class="entry-content"><p>Paahdamme kahvit itse pienissä erissä. Tällä viikolla <a href="/tuotteet/etiopia/">Etiopia Yirgacheffe</a> ja <strong>Kenia AA</strong>; molemmat &amp; muut myös <em>kotiinkuljetuksena</em>.</p>'
			. '<p>Avoinna arkisin 7&ndash;18, lauantaisin 9&ndash;16. <a href="https://kartta.example/?q=kahvila" target="_blank" rel="noopener">Katso kartalta</a>.</p>'
			. ( 0 === $i % 25 ? '<figure class="wp-block-embed is-type-video"><div class="wp-block-embed__wrapper"><iframe title="Video" width="500" height="281" src="https://www.youtube.com/embed/abc' . $i . '?feature=oembed" frameborder="0" allowfullscreen></iframe></div></figure>' : '' )
			. ( 0 === $i % 10 ? '<script>document.querySelectorAll(".post-' . $i . ' a").forEach(function(a){a.dataset.seen="1";});</script>' : '' )
			. '</div></article>';
	}
	return $head . $body . '</main><footer id="colophon"><div class="widget"><img src="https://www.facebook.com/tr?id=1&amp;ev=PageView" width="1" height="1" alt=""></div></footer></div>'
		. '<script src="/wp-includes/js/jquery/jquery.min.js?ver=3.6.1" id="jquery-core-js"></script></body></html>';
}

/**
 * Median milliseconds of sending a page through an output buffer with this callback.
 *
 * @param string   $page     The page.
 * @param callable $callback Buffer callback.
 * @param int      $runs     Repetitions.
 * @return float
 */
function consent_service_bench_time( $page, $callback, $runs ) {
	global $consent_service_bench_cpu;
	$times = array();
	$cpu0  = getrusage();
	for ( $r = 0; $r < $runs; $r++ ) {
		$t0 = hrtime( true );
		ob_start(); // Catches what the inner buffer flushes, as the server would send it.
		ob_start( $callback );
		echo $page; // phpcs:ignore
		ob_end_flush();
		$sent     = ob_get_clean();
		$times[]  = ( hrtime( true ) - $t0 ) / 1e6;
		$checksum = strlen( $sent );
	}
	$cpu1                        = getrusage();
	$consent_service_bench_cpu[] = ( ( $cpu1['ru_utime.tv_sec'] - $cpu0['ru_utime.tv_sec'] ) * 1e3 + ( $cpu1['ru_utime.tv_usec'] - $cpu0['ru_utime.tv_usec'] ) / 1e3
		+ ( $cpu1['ru_stime.tv_sec'] - $cpu0['ru_stime.tv_sec'] ) * 1e3 + ( $cpu1['ru_stime.tv_usec'] - $cpu0['ru_stime.tv_usec'] ) / 1e3 ) / $runs;
	sort( $times );
	return $times[ intdiv( count( $times ), 2 ) ];
}

$rules = array(
	array(
		'service'  => 'google-analytics',
		'category' => 'analytics',
		'hosts'    => array( 'www.googletagmanager.com/gtag/js', '*.google-analytics.com', '*.analytics.google.com' ),
	),
	array(
		'service'  => 'facebook-pixel',
		'category' => 'marketing',
		'hosts'    => array( 'connect.facebook.net', 'www.facebook.com/tr' ),
	),
	array(
		'service'  => 'youtube',
		'category' => 'marketing',
		'hosts'    => array( 'www.youtube.com/embed', 'www.youtube.com/iframe_api', 'www.youtube-nocookie.com', '*.ytimg.com' ),
	),
);
// The whole catalog's rules, as the service sends them (about 45 services).
for ( $n = 0; $n < 42; $n++ ) {
	$rules[] = array(
		'service'  => 'service-' . $n,
		'category' => 0 === $n % 2 ? 'marketing' : 'analytics',
		'hosts'    => array( 'cdn' . $n . '.tracker-' . $n . '.example', '*.pixel-' . $n . '.example', 'api.vendor-' . $n . '.example/collect' ),
	);
}

$page     = consent_service_bench_page( 200 * 1024 );
$rewriter = new Consent_Service_Rewriter( $rules );
$out      = $rewriter->$method( $page );
$identity = static function ( $html ) {
	return $html;
};
$rewrite  = static function ( $html ) use ( $rules, $method ) {
	// A new rewriter per page, as each request builds one.
	$r = new Consent_Service_Rewriter( $rules );
	return $r->$method( $html );
};
// Warm-up, then interleaved rounds so that both see the same machine load.
consent_service_bench_time( $page, $rewrite, 5 );
$base     = array();
$with     = array();
$base_cpu = array();
$with_cpu = array();
for ( $round = 0; $round < 5; $round++ ) {
	$consent_service_bench_cpu = array();
	$base[]                    = consent_service_bench_time( $page, $identity, $runs );
	$with[]                    = consent_service_bench_time( $page, $rewrite, $runs );
	$base_cpu[]                = $consent_service_bench_cpu[0];
	$with_cpu[]                = $consent_service_bench_cpu[1];
}
sort( $base );
sort( $with );
sort( $base_cpu );
sort( $with_cpu );
$b = $base[2];
$w = $with[2];
echo json_encode( // phpcs:ignore
	array(
		'php'             => PHP_VERSION,
		'engine'          => $rewriter->engine,
		'page_bytes'      => strlen( $page ),
		'tags_rewritten'  => substr_count( $out, 'data-cs-service=' ),
		'baseline_ms'     => round( $b, 3 ),
		'rewrite_ms'      => round( $w, 3 ),
		'added_ms'        => round( $w - $b, 3 ),
		// CPU time per page (getrusage over all runs): less disturbed by a loaded machine.
		'baseline_cpu_ms' => round( $base_cpu[2], 3 ),
		'rewrite_cpu_ms'  => round( $with_cpu[2], 3 ),
		'added_cpu_ms'    => round( $with_cpu[2] - $base_cpu[2], 3 ),
		'ratio'           => round( $w / max( $b, 1e-6 ), 1 ),
		'target_ms'       => 5,
	)
) . "\n";
