<?php
/**
 * Rewrites the tracker tags of a finished HTML page so that the browser requests nothing
 * before consent: the banner releases them after the visitor's choice.
 *
 * @package ConsentService
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Finds `<script>`, `<iframe>`, `<img>` and resource-hint `<link>` tags of known trackers
 * and makes them inert, changing nothing else in the page:
 *
 * - `<script src>` and inline snippets: `type="text/plain" data-category="…"`;
 * - `<iframe src>`: `data-src` + `data-category` (the banner shows its placeholder);
 * - `<img src>`: `data-src` + `data-category`;
 * - `<link rel=preload|prefetch|preconnect|dns-prefetch|modulepreload href>`: `data-cs-href`.
 *
 * Two parsers give the same result (tests/test_wordpress_lint.py runs both on one corpus):
 * WordPress' WP_HTML_Tag_Processor (6.5+: script text through get_modifiable_text()), and
 * the small tokenizer below, which is the default on every version: the HTML API walks every
 * tag in PHP and took 14-16 ms of CPU for a 200 KB page (6.5.5, 6.6), the tokenizer 1.4 ms
 * (tests/bench_buffer.php), and 6.1-6.4 have no usable HTML API. The tokenizer follows the
 * HTML standard's tokenizer for what
 * decides where a tag is: comments, bogus comments, quoted and unquoted attribute values,
 * and the raw text of script (with its escaped states), style, textarea, title and the like.
 * `<noscript>` content is read as markup, as a browser without scripts reads it, so that a
 * pixel in it is held back for those visitors too (they cannot consent at all).
 */
class Consent_Service_Rewriter {

	/**
	 * Embeds held back even where the catalog's rules do not name the host (short links,
	 * other subdomains): the banner placeholders any iframe with data-category + data-src.
	 */
	const EMBED_RULES = array(
		array(
			'service'  => 'youtube',
			'category' => 'marketing',
			'hosts'    => array( '*.youtube.com', '*.youtube-nocookie.com', 'youtu.be' ),
		),
		array(
			'service'  => 'vimeo',
			'category' => 'marketing',
			'hosts'    => array( '*.vimeo.com' ),
		),
		array(
			'service'  => 'google-maps',
			'category' => 'marketing',
			'hosts'    => array( '*.google.com/maps', 'maps.google.com', 'maps.googleapis.com' ),
		),
	);

	/**
	 * Inline code of catalog services that names no tracker host, by service id: the
	 * snippet's calls that send data once the vendor's script is there.
	 */
	const SIGNATURES = array(
		'google-analytics' => '/\bgtag\s*\(\s*[\'"](?:config|event)[\'"]/',
		'facebook-pixel'   => '/\bfbq\s*\(\s*[\'"](?:init|track|trackCustom)[\'"]/',
	);

	/**
	 * Elements whose content is text up to their end tag (HTML standard, 13.2.5).
	 */
	const RAW_TEXT = array(
		'style'     => true,
		'textarea'  => true,
		'title'     => true,
		'xmp'       => true,
		'iframe'    => true,
		'noembed'   => true,
		'noframes'  => true,
		'plaintext' => true,
	);

	const WS = " \t\n\f\r";

	/**
	 * Skips, in one PCRE call, text and every tag that cannot matter (end tags, and start
	 * tags other than raw-text elements and script/iframe/img/link), quoted values included;
	 * it stops at `<!`, `<?`, a tag that matters or anything it is unsure of, which the
	 * tokenizer then reads step by step. `\K` reports where it stopped without a copy.
	 */
	const SKIP = '/\G(?:[^<]++|<(?![!?\/a-zA-Z])|<\/?(?!(?:script|style|textarea|title|xmp|iframe|noembed|noframes|plaintext|img|link)[\t\n\f\r \/>])[a-zA-Z][^\t\n\f\r \/>]*+(?>[^>"\'=]++|=[\t\n\f\r ]*+"[^"]*+"|=[\t\n\f\r ]*+\'[^\']*+\'|=|["\'])*+>)*+\K/i';

	/**
	 * Exact host => list of array( path prefix, rule index ).
	 *
	 * @var array<string, array>
	 */
	private $exact = array();

	/**
	 * Wildcard base host => list of array( path prefix, rule index ).
	 *
	 * @var array<string, array>
	 */
	private $wild = array();

	/**
	 * Rules as array( service, category ), by index; embeds come after the config's rules.
	 *
	 * @var array<int, array>
	 */
	private $rules = array();

	/**
	 * Index of the first embed-only rule.
	 *
	 * @var int
	 */
	private $first_embed = 0;

	/**
	 * One regex of every host pattern, for inline scripts; null when there are none.
	 *
	 * @var string|null
	 */
	private $inline_re = null;

	/**
	 * Lowercase needle => rule index.
	 *
	 * @var array<string, int>
	 */
	private $needles = array();

	/**
	 * Signature regex => rule index, for services that are in the rules.
	 *
	 * @var array<string, int>
	 */
	private $signatures = array();

	/**
	 * Called for each tag about to be held back: (category, tag name, URL, attributes) and
	 * returns the category to use, or null to leave the tag as it is.
	 *
	 * @var callable|null
	 */
	private $decide;

	/**
	 * Which parser rewrote last: 'tag-processor' or 'tokenizer'.
	 *
	 * @var string
	 */
	public $engine = '';

	/**
	 * Compiles the blocking rules.
	 *
	 * @param array         $rules      Blocking rules of the config: service, category, hosts.
	 * @param array         $signatures Service id => regex of its inline code (SIGNATURES by default).
	 * @param callable|null $decide     Filter of each decision (see $decide).
	 */
	public function __construct( array $rules, ?array $signatures = null, $decide = null ) {
		$this->decide = $decide;
		$signatures   = null === $signatures ? self::SIGNATURES : $signatures;
		$alternatives = array();
		$all          = array_merge( array_values( $rules ), self::EMBED_RULES );
		$this->first_embed = count( $rules );
		foreach ( $all as $index => $rule ) {
			if ( empty( $rule['category'] ) || 'necessary' === $rule['category'] || empty( $rule['hosts'] ) ) {
				$this->rules[ $index ] = null;
				continue;
			}
			$this->rules[ $index ] = array(
				'service'  => isset( $rule['service'] ) ? (string) $rule['service'] : '',
				'category' => (string) $rule['category'],
			);
			foreach ( (array) $rule['hosts'] as $pattern ) {
				$pattern = preg_replace( '#^([a-z]+:)?//#i', '', trim( (string) $pattern ) );
				$slash   = strpos( $pattern . '/', '/' );
				$host    = strtolower( substr( $pattern, 0, $slash ) );
				$path    = (string) substr( $pattern, $slash );
				if ( '' === $host ) {
					continue;
				}
				if ( 0 === strpos( $host, '*.' ) ) {
					$this->wild[ substr( $host, 2 ) ][] = array( $path, $index );
					$needle                             = substr( $host, 2 ) . $path;
				} else {
					$this->exact[ $host ][] = array( $path, $index );
					$needle                 = $host . $path;
				}
				if ( $index < count( $rules ) && false === strpos( $needle, '*' ) && ! isset( $this->needles[ strtolower( $needle ) ] ) ) {
					$this->needles[ strtolower( $needle ) ] = $index;
					$alternatives[]                         = preg_quote( $needle, '/' );
				}
			}
			if ( $index < count( $rules ) && isset( $signatures[ $this->rules[ $index ]['service'] ] ) ) {
				$this->signatures[ $signatures[ $this->rules[ $index ]['service'] ] ] = $index;
			}
		}
		if ( $alternatives ) {
			// Longest first, so that a host with a path wins over the bare host.
			usort(
				$alternatives,
				static function ( $a, $b ) {
					return strlen( $b ) - strlen( $a );
				}
			);
			$this->inline_re = '/' . implode( '|', $alternatives ) . '/i';
		}
	}

	/**
	 * The rule holding back a URL, as the banner matches it; null for none.
	 *
	 * @param string $url    URL as written in the attribute (decoded).
	 * @param bool   $embeds Also the embed hosts (iframes).
	 * @return array|null array( service, category )
	 */
	public function rule_for_url( $url, $embeds = false ) {
		$url = trim( (string) $url, self::WS );
		if ( '' === $url ) {
			return null;
		}
		// Browsers read a backslash as a slash in http(s) URLs, and skip any number of
		// slashes after the scheme.
		$url = str_replace( '\\', '/', $url );
		if ( 0 === strpos( $url, '//' ) ) {
			$url = 'https:' . $url;
		} elseif ( 1 === preg_match( '#^(https?:)/+#i', $url, $scheme ) ) {
			$url = $scheme[1] . '//' . substr( $url, strlen( $scheme[0] ) );
		} else {
			return null; // Relative URLs are the site's own; other schemes fetch nothing remote.
		}
		$rest = substr( $url, strpos( $url, '//' ) + 2 );
		$end  = strcspn( $rest, '/?#' );
		$auth = substr( $rest, 0, $end );
		$at   = strrpos( $auth, '@' );
		$host = false === $at ? $auth : substr( $auth, $at + 1 );
		if ( '[' !== substr( $host, 0, 1 ) && false !== strpos( $host, ':' ) ) {
			$host = substr( $host, 0, strpos( $host, ':' ) );
		}
		$host = rtrim( strtolower( rawurldecode( $host ) ), '.' ); // Browsers decode %xx in hosts.
		$path = (string) substr( $rest, $end );
		$path = substr( $path, 0, strcspn( $path, '?#' ) );
		$path = '' === $path ? '/' : $path;

		$best = null;
		if ( isset( $this->exact[ $host ] ) ) {
			$best = $this->first_match( $this->exact[ $host ], $path, $best );
		}
		$base = $host;
		while ( '' !== $base ) {
			if ( isset( $this->wild[ $base ] ) ) {
				$best = $this->first_match( $this->wild[ $base ], $path, $best );
			}
			$dot  = strpos( $base, '.' );
			$base = false === $dot ? '' : substr( $base, $dot + 1 );
		}
		if ( null === $best || ( ! $embeds && $best >= $this->first_embed ) ) {
			return null;
		}
		return $this->rules[ $best ];
	}

	/**
	 * The lowest rule index among candidates whose path prefix matches.
	 *
	 * @param array    $candidates List of array( path, index ).
	 * @param string   $path       Request path.
	 * @param int|null $best       Best index so far.
	 * @return int|null
	 */
	private function first_match( array $candidates, $path, $best ) {
		foreach ( $candidates as $candidate ) {
			if ( null !== $this->rules[ $candidate[1] ] && ( null === $best || $candidate[1] < $best ) && ( '' === $candidate[0] || 0 === strpos( $path, $candidate[0] ) ) ) {
				$best = $candidate[1];
			}
		}
		return $best;
	}

	/**
	 * The rule of an inline script: a tracker host in its code, or a service's signature.
	 *
	 * @param string $code Script text.
	 * @return array|null
	 */
	public function rule_for_inline( $code ) {
		if ( '' === trim( $code ) ) {
			return null;
		}
		$code = str_replace( '\\/', '/', $code ); // JSON-escaped URLs.
		if ( null !== $this->inline_re && preg_match( $this->inline_re, $code, $m ) ) {
			return $this->rules[ $this->needles[ strtolower( $m[0] ) ] ];
		}
		foreach ( $this->signatures as $re => $index ) {
			if ( preg_match( $re, $code ) ) {
				return $this->rules[ $index ];
			}
		}
		return null;
	}

	/**
	 * What to change in one tag: attributes to set and attributes to remove; null for nothing.
	 *
	 * @param string $tag   Lowercase tag name.
	 * @param array  $attrs Lowercase name => decoded value (first of duplicates); true for no value.
	 * @param string $text  Script text (inline scripts).
	 * @return array|null array( 'set' => array( name => value ), 'remove' => array( name ) )
	 */
	public function decide( $tag, array $attrs, $text = '' ) {
		if ( isset( $attrs['data-consent-ignore'] ) || isset( $attrs['data-category'] ) || isset( $attrs['data-cs-blocked'] ) ) {
			return null;
		}
		$src  = isset( $attrs['src'] ) && true !== $attrs['src'] ? $attrs['src'] : '';
		$rule = null;
		$url  = '';
		if ( 'script' === $tag ) {
			$type = isset( $attrs['type'] ) && true !== $attrs['type'] ? strtolower( trim( $attrs['type'], self::WS ) ) : '';
			if ( ! self::runnable( $type ) ) {
				return null;
			}
			$url  = $src;
			$rule = '' !== $src ? $this->rule_for_url( $src ) : ( isset( $attrs['src'] ) ? null : $this->rule_for_inline( $text ) );
		} elseif ( 'iframe' === $tag || 'img' === $tag ) {
			if ( '' === $src ) {
				return null;
			}
			$url  = $src;
			$rule = $this->rule_for_url( $src, 'iframe' === $tag );
		} elseif ( 'link' === $tag ) {
			$rel  = isset( $attrs['rel'] ) && true !== $attrs['rel'] ? strtolower( $attrs['rel'] ) : '';
			$href = isset( $attrs['href'] ) && true !== $attrs['href'] ? $attrs['href'] : '';
			if ( '' === $href || ! preg_match( '/(?:^|\s)(?:preload|prefetch|preconnect|dns-prefetch|modulepreload|prerender)(?:\s|$)/', $rel ) ) {
				return null;
			}
			$url  = $href;
			$rule = $this->rule_for_url( $href );
		}
		if ( null === $rule ) {
			return null;
		}
		$category = $rule['category'];
		if ( null !== $this->decide ) {
			$category = call_user_func( $this->decide, $category, $tag, $url, $attrs );
			if ( ! is_string( $category ) || '' === $category || 'necessary' === $category ) {
				return null;
			}
		}
		$set = array(
			'data-category'   => $category,
			'data-cs-service' => $rule['service'],
		);
		if ( 'link' === $tag ) {
			return array(
				'set'    => array(
					'data-cs-href'    => $url,
					'data-category'   => $category,
					'data-cs-service' => $rule['service'],
				),
				'remove' => array( 'href' ),
			);
		}
		if ( 'script' === $tag ) {
			$type = isset( $attrs['type'] ) && true !== $attrs['type'] ? trim( $attrs['type'], self::WS ) : '';
			$set  = array( 'type' => 'text/plain' ) + $set;
			if ( '' !== $type && ! in_array( strtolower( $type ), array( 'text/javascript', 'application/javascript' ), true ) ) {
				$set['data-cs-type'] = $type;
			}
			return array(
				'set'    => $set,
				'remove' => array( 'type' ),
			);
		}
		$set['data-src'] = $src;
		return array(
			'set'    => $set,
			'remove' => array( 'src', 'srcset' ),
		);
	}

	/**
	 * Whether a browser runs a script of this type (HTML standard: JavaScript MIME types and
	 * "module"; an empty type is JavaScript).
	 *
	 * @param string $type Lowercase trimmed type.
	 * @return bool
	 */
	public static function runnable( $type ) {
		return '' === $type || 'module' === $type || 1 === preg_match( '#^(?:text|application)/(?:x-)?(?:java|ecma)script$|^text/(?:javascript1\.[0-5]|jscript|livescript)$#', $type );
	}

	/**
	 * Whether WordPress' HTML API can do the rewrite (6.5+).
	 *
	 * @return bool
	 */
	public static function html_api_available() {
		return class_exists( 'WP_HTML_Tag_Processor' ) && method_exists( 'WP_HTML_Tag_Processor', 'get_modifiable_text' );
	}

	/**
	 * Rewrites a page.
	 *
	 * @param string $html   The page.
	 * @param string $parser The parser: tokenizer (default) or html-api (used when available).
	 * @return string
	 */
	public function rewrite( $html, $parser = 'tokenizer' ) {
		if ( 'html-api' === $parser && self::html_api_available() ) {
			return $this->rewrite_with_tag_processor( $html );
		}
		return $this->rewrite_with_tokenizer( $html );
	}

	/**
	 * Rewrites with WordPress' HTML API (6.5+: script text through get_modifiable_text()).
	 *
	 * @param string $html The page.
	 * @return string
	 */
	public function rewrite_with_tag_processor( $html ) {
		$this->engine = 'tag-processor';
		$processor    = new WP_HTML_Tag_Processor( $html );
		$changed      = false;
		while ( $processor->next_tag() ) {
			$tag = strtolower( (string) $processor->get_tag() );
			if ( ! in_array( $tag, array( 'script', 'iframe', 'img', 'link' ), true ) ) {
				continue;
			}
			$attrs = array();
			foreach ( (array) $processor->get_attribute_names_with_prefix( '' ) as $name ) {
				$attrs[ strtolower( $name ) ] = $processor->get_attribute( $name );
			}
			$text   = 'script' === $tag && ! isset( $attrs['src'] ) ? (string) $processor->get_modifiable_text() : '';
			$change = $this->decide( $tag, $attrs, $text );
			if ( null === $change ) {
				continue;
			}
			foreach ( $change['remove'] as $name ) {
				$processor->remove_attribute( $name );
			}
			foreach ( $change['set'] as $name => $value ) {
				$processor->set_attribute( $name, $value );
			}
			$changed = true;
		}
		return $changed ? $processor->get_updated_html() : $html;
	}

	/**
	 * Rewrites with the built-in tokenizer; every byte outside a changed tag stays.
	 *
	 * @param string $html The page.
	 * @return string
	 */
	public function rewrite_with_tokenizer( $html ) {
		$this->engine = 'tokenizer';
		$len          = strlen( $html );
		$pos          = 0;
		$out          = '';
		$copied       = 0;
		while ( $pos < $len ) {
			if ( 1 === preg_match( self::SKIP, $html, $m, PREG_OFFSET_CAPTURE, $pos ) ) {
				$pos = $m[0][1];
			}
			$lt = strpos( $html, '<', $pos );
			if ( false === $lt || $lt + 1 >= $len ) {
				break;
			}
			$next = $html[ $lt + 1 ];
			if ( '!' === $next ) {
				$pos = self::skip_markup_declaration( $html, $lt, $len );
				continue;
			}
			if ( '?' === $next || '/' === $next ) {
				if ( '/' === $next && $lt + 2 < $len && ctype_alpha( $html[ $lt + 2 ] ) ) {
					$pos = self::tag_end( $html, $lt + 2, $len ); // An end tag.
				} else {
					// "<?…>" and "</ + not a letter…>" are bogus comments.
					$gt  = strpos( $html, '>', $lt );
					$pos = false === $gt ? $len : $gt + 1;
				}
				if ( false === $pos ) {
					break;
				}
				continue;
			}
			if ( ! ctype_alpha( $next ) ) {
				$pos = $lt + 1;
				continue;
			}
			$start = $lt + 1;
			$tag   = '';
			// Only names starting with these letters matter: script, style, iframe, img, link,
			// title, textarea, xmp, noembed, noframes, plaintext.
			if ( false !== strpos( 'siltxnpSILTXNP', $next ) ) {
				$tag = strtolower( substr( $html, $start, strcspn( $html, self::WS . '/>', $start ) ) );
			}
			$name_end = $start + strlen( $tag );
			$end      = self::tag_end( $html, $name_end, $len );
			if ( false === $end ) {
				break; // EOF inside a tag: the browser drops it.
			}
			$pos = $end;
			if ( 'script' === $tag ) {
				$pos = self::script_end( $html, $end, $len );
			} elseif ( isset( self::RAW_TEXT[ $tag ] ) ) {
				$pos = 'plaintext' === $tag ? $len : self::raw_text_end( $html, $end, $len, $tag );
			}
			if ( 'script' !== $tag && 'img' !== $tag && 'iframe' !== $tag && 'link' !== $tag ) {
				continue;
			}
			if ( 'script' !== $tag && ! $this->may_match( substr( $html, $name_end, $end - $name_end ) ) ) {
				continue;
			}
			$parsed = self::parse_attributes( $html, $name_end, $len );
			if ( null === $parsed || $parsed['end'] !== $end ) {
				continue;
			}
			$text   = 'script' === $tag ? substr( $html, $end, $pos - $end ) : '';
			$change = $this->decide( $tag, $parsed['attrs'], $text );
			if ( null !== $change ) {
				$out   .= substr( $html, $copied, $lt - $copied ) . self::rebuild_tag( $html, $lt, $name_end, $parsed, $change );
				$copied = $end;
			}
		}
		return 0 === $copied ? $html : $out . substr( $html, $copied );
	}

	/**
	 * Whether a tag's attribute text holds an absolute URL of a host the rules name (decoded
	 * as the browser would decode it): most images and links do not, and skip the full parse.
	 *
	 * @param string $attributes Raw text between the tag name and `>`.
	 * @return bool
	 */
	private function may_match( $attributes ) {
		if ( false !== strpos( $attributes, '&' ) || false !== strpos( $attributes, '%' ) ) {
			$attributes = rawurldecode( html_entity_decode( $attributes, ENT_QUOTES | ENT_HTML5, 'UTF-8' ) );
		}
		if ( ! preg_match_all( '~(?:https?:[/\\\\]+|[/\\\\]{2})([^/\\\\?#\s"\'<>]+)~i', $attributes, $m ) ) {
			return false;
		}
		foreach ( $m[1] as $authority ) {
			if ( null !== $this->host_rule( $authority ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Whether any rule names this host (exact or under a wildcard), whatever the path.
	 *
	 * @param string $authority The URL authority: host, host:port or user@host.
	 * @return true|null
	 */
	private function host_rule( $authority ) {
		$at   = strrpos( $authority, '@' );
		$host = false === $at ? $authority : substr( $authority, $at + 1 );
		if ( '[' !== substr( $host, 0, 1 ) && false !== strpos( $host, ':' ) ) {
			$host = substr( $host, 0, strpos( $host, ':' ) );
		}
		$host = rtrim( strtolower( $host ), '.' );
		if ( isset( $this->exact[ $host ] ) ) {
			return true;
		}
		while ( '' !== $host ) {
			if ( isset( $this->wild[ $host ] ) ) {
				return true;
			}
			$dot  = strpos( $host, '.' );
			$host = false === $dot ? '' : substr( $host, $dot + 1 );
		}
		return null;
	}

	/**
	 * Where a tag ends: after the `>` that is not inside a quoted attribute value (a quote
	 * opens a value only right after `=` and optional whitespace).
	 *
	 * @param string $html The page.
	 * @param int    $pos  Offset after the tag name.
	 * @param int    $len  Length of the page.
	 * @return int|false Offset after `>`, false at EOF.
	 */
	private static function tag_end( $html, $pos, $len ) {
		$at = $pos;
		while ( true ) {
			$at += strcspn( $html, '>"\'', $at );
			if ( $at >= $len ) {
				return false;
			}
			if ( '>' === $html[ $at ] ) {
				return $at + 1;
			}
			$before = $at - 1;
			while ( $before >= $pos && false !== strpos( self::WS, $html[ $before ] ) ) {
				--$before;
			}
			if ( $before >= $pos && '=' === $html[ $before ] ) {
				$close = strpos( $html, $html[ $at ], $at + 1 );
				if ( false === $close ) {
					return false;
				}
				$at = $close + 1;
			} else {
				++$at;
			}
		}
	}

	/**
	 * Skips `<!…`: a comment (`<!--…-->`, also closed by `--!>`, with `<!-->` and `<!--->`
	 * empty) or a bogus comment / doctype up to `>`.
	 *
	 * @param string $html The page.
	 * @param int    $lt   Offset of `<`.
	 * @param int    $len  Length of the page.
	 * @return int Offset after it.
	 */
	private static function skip_markup_declaration( $html, $lt, $len ) {
		if ( '<!--' === substr( $html, $lt, 4 ) ) {
			$body = $lt + 4;
			if ( '>' === substr( $html, $body, 1 ) ) {
				return $body + 1;
			}
			if ( '->' === substr( $html, $body, 2 ) ) {
				return $body + 2;
			}
			$end = strpos( $html, '--', $body );
			while ( false !== $end ) {
				if ( '>' === substr( $html, $end + 2, 1 ) ) {
					return $end + 3;
				}
				if ( '!>' === substr( $html, $end + 2, 2 ) ) {
					return $end + 4;
				}
				$end = strpos( $html, '--', $end + 1 );
			}
			return $len;
		}
		$gt = strpos( $html, '>', $lt );
		return false === $gt ? $len : $gt + 1;
	}

	/**
	 * Reads attributes from just after the tag name to the end of the tag.
	 *
	 * @param string $html The page.
	 * @param int    $pos  Offset after the tag name.
	 * @param int    $len  Length of the page.
	 * @return array|null array( end => offset after `>`, attrs => name => value, spans => list of array( name, from, to ) ); null at EOF.
	 */
	private static function parse_attributes( $html, $pos, $len ) {
		$attrs = array();
		$spans = array();
		$re    = '/\G[\t\n\f\r \/]*(?:(>)|([^\t\n\f\r \/>][^\t\n\f\r \/>=]*)(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"([^"]*)"|\'([^\']*)\'|([^\t\n\f\r >]*)))?)/';
		while ( $pos < $len ) {
			if ( ! preg_match( $re, $html, $m, PREG_OFFSET_CAPTURE, $pos ) ) {
				return null;
			}
			if ( isset( $m[1] ) && -1 !== $m[1][1] && '>' === $m[1][0] ) {
				return array(
					'end'   => $m[1][1] + 1,
					'attrs' => $attrs,
					'spans' => $spans,
				);
			}
			if ( ! isset( $m[2] ) || -1 === $m[2][1] ) {
				return null; // Only whitespace or "/" up to the end of the page.
			}
			$end = $m[0][1] + strlen( $m[0][0] );
			if ( $end >= $len && ! isset( $m[3] ) ) {
				return null;
			}
			$name = strtolower( $m[2][0] );
			$raw  = true;
			foreach ( array( 3, 4, 5 ) as $group ) {
				if ( isset( $m[ $group ] ) && -1 !== $m[ $group ][1] ) {
					$raw = $m[ $group ][0];
				}
			}
			if ( ! array_key_exists( $name, $attrs ) ) {
				$attrs[ $name ] = true === $raw ? true : html_entity_decode( $raw, ENT_QUOTES | ENT_HTML5, 'UTF-8' );
			}
			$spans[] = array( $name, $m[2][1], $end );
			$pos = $end;
		}
		return null;
	}

	/**
	 * The start tag with the change applied: removed attributes (every duplicate) are cut,
	 * new ones go right after the tag name; all other bytes stay.
	 *
	 * @param string $html     The page.
	 * @param int    $lt       Offset of `<`.
	 * @param int    $name_end Offset after the tag name.
	 * @param array  $parsed   From parse_attributes().
	 * @param array  $change   From decide().
	 * @return string
	 */
	private static function rebuild_tag( $html, $lt, $name_end, array $parsed, array $change ) {
		$drop = array_flip( array_merge( $change['remove'], array_keys( $change['set'] ) ) );
		$tag  = substr( $html, $lt, $name_end - $lt );
		foreach ( $change['set'] as $name => $value ) {
			$tag .= ' ' . $name . '="' . htmlspecialchars( (string) $value, ENT_QUOTES, 'UTF-8' ) . '"';
		}
		$at = $name_end;
		foreach ( $parsed['spans'] as $span ) {
			if ( isset( $drop[ $span[0] ] ) ) {
				$tag .= substr( $html, $at, $span[1] - $at );
				$at   = $span[2];
			}
		}
		return $tag . substr( $html, $at, $parsed['end'] - $at );
	}

	/**
	 * Where the text of a raw-text element ends: at `</name` followed by whitespace, `/` or `>`.
	 *
	 * @param string $html The page.
	 * @param int    $pos  Offset after the start tag.
	 * @param int    $len  Length of the page.
	 * @param string $tag  Lowercase tag name.
	 * @return int Offset of the `<` of the end tag, or the end of the page.
	 */
	private static function raw_text_end( $html, $pos, $len, $tag ) {
		$needle = '</' . $tag;
		$at     = stripos( $html, $needle, $pos );
		while ( false !== $at ) {
			if ( self::ends_name( $html, $at + strlen( $needle ), $len ) ) {
				return $at;
			}
			$at = stripos( $html, $needle, $at + 1 );
		}
		return $len;
	}

	/**
	 * Where script text ends, with the script data escaped and double-escaped states: inside
	 * `<!--` a `<script` makes the next `</script>` not end the element.
	 *
	 * @param string $html The page.
	 * @param int    $pos  Offset after the start tag.
	 * @param int    $len  Length of the page.
	 * @return int Offset of `</script`, or the end of the page.
	 */
	private static function script_end( $html, $pos, $len ) {
		$state = 0; // 0 data, 1 escaped, 2 double escaped.
		while ( $pos < $len ) {
			$close = self::find_tag( $html, '</script', $pos, $len );
			if ( 0 === $state ) {
				// Only "<!--" before the candidate end matters; searching past it made long
				// pages quadratic.
				$stop = false === $close ? $len : $close;
				$open = strpos( substr( $html, $pos, $stop - $pos ), '<!--' );
				if ( false === $open ) {
					return $stop;
				}
				$open += $pos;
				$state = 1;
				$pos   = $open + 4;
				// "<!-->" and "<!--->" go straight back to script data.
				if ( '>' === substr( $html, $pos, 1 ) ) {
					$state = 0;
				} elseif ( '->' === substr( $html, $pos, 2 ) ) {
					$state = 0;
				}
				continue;
			}
			$dashes = strpos( $html, '-->', $pos );
			if ( 1 === $state ) {
				$nested = self::find_tag( $html, '<script', $pos, $len );
				$first  = min( false === $dashes ? $len : $dashes, false === $close ? $len : $close, false === $nested ? $len : $nested );
				if ( $first >= $len ) {
					return $len;
				}
				if ( $first === $close ) {
					return $close;
				}
				if ( $first === $dashes ) {
					$state = 0;
					$pos   = $dashes + 3;
				} else {
					$state = 2;
					$pos   = $nested + 7;
				}
				continue;
			}
			$first = min( false === $dashes ? $len : $dashes, false === $close ? $len : $close );
			if ( $first >= $len ) {
				return $len;
			}
			if ( $first === $dashes ) {
				$state = 0;
				$pos   = $dashes + 3;
			} else {
				$state = 1; // "</script>" inside double-escaped text leaves it, but ends nothing.
				$pos   = $close + 8;
			}
		}
		return $len;
	}

	/**
	 * Next case-insensitive `$needle` followed by whitespace, `/` or `>`.
	 *
	 * @param string $html   The page.
	 * @param string $needle The tag opening, `</script` or `<script`.
	 * @param int    $pos    Offset to search from.
	 * @param int    $len    Length of the page.
	 * @return int|false
	 */
	private static function find_tag( $html, $needle, $pos, $len ) {
		$at = stripos( $html, $needle, $pos );
		while ( false !== $at && ! self::ends_name( $html, $at + strlen( $needle ), $len ) ) {
			$at = stripos( $html, $needle, $at + 1 );
		}
		return $at;
	}

	/**
	 * Whether a tag name ends at this offset.
	 *
	 * @param string $html The page.
	 * @param int    $at   Offset after the name.
	 * @param int    $len  Length of the page.
	 * @return bool
	 */
	private static function ends_name( $html, $at, $len ) {
		return $at < $len && false !== strpos( self::WS . '/>', $html[ $at ] );
	}
}
