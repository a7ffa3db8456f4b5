/**
 * Editor side of the "Cookie settings button" block. Plain ES5 on the wp.* globals,
 * so no build step is needed; the front end is rendered in PHP.
 */
( function ( blocks, blockEditor, components, element, i18n ) {
	var el = element.createElement;
	var __ = i18n.__;

	blocks.registerBlockType( 'consent-service/consent-settings', {
		edit: function ( props ) {
			var label = props.attributes.label;
			var blockProps = blockEditor.useBlockProps();
			return el(
				'div',
				blockProps,
				el(
					blockEditor.InspectorControls,
					null,
					el(
						components.PanelBody,
						{ title: __( 'Button', 'consent-service' ) },
						el( components.TextControl, {
							label: __( 'Label', 'consent-service' ),
							help: __( 'Leave empty for "Cookie settings".', 'consent-service' ),
							value: label,
							onChange: function ( value ) {
								props.setAttributes( { label: value } );
							},
						} )
					)
				),
				el(
					'button',
					{ type: 'button', className: 'consent-service-settings wp-element-button', disabled: true },
					label || __( 'Cookie settings', 'consent-service' )
				)
			);
		},
		save: function () {
			return null;
		},
	} );
} )( window.wp.blocks, window.wp.blockEditor, window.wp.components, window.wp.element, window.wp.i18n );
