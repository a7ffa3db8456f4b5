<?php
/**
 * Dependencies of editor.js (written by hand: the editor script has no build step).
 *
 * @package ConsentService
 */

return array(
	'dependencies' => array( 'wp-blocks', 'wp-block-editor', 'wp-components', 'wp-element', 'wp-i18n' ),
	'version'      => '0.1.0',
);
