// Core and UI in one script (the admin preview and pages that inline the
// whole config): the UI registers first, so the core fetches nothing.
import './ui-main.js';
import './core.js';
