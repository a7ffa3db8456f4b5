<?php
/**
 * Silence is golden.
 *
 * @package ConsentService
 */
