"""A throw-away WordPress + consent-service stack for the plugin's end-to-end test.

WordPress comes from Debian's `wordpress` package (/usr/share/wordpress), copied into a temp
dir with its own wp-config.php and a fresh MariaDB database, served by `php -S`. The
consent-service is this repo's Flask app on a temp SQLite database. Nothing is fetched
from outside the machine: WordPress may only reach 127.0.0.1 (WP_HTTP_BLOCK_EXTERNAL).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BUILD = ROOT / "integrations" / "wordpress" / "build.sh"
PLUGIN_ZIP = ROOT / "integrations" / "wordpress" / "dist" / "consent-service.zip"
WP_CORE = Path("/usr/share/wordpress")
THEME = WP_CORE / "wp-content" / "themes" / "twentytwentythree"
CHROMIUM = "/usr/bin/chromium"
BUNDLE = ROOT / "banner_js" / "dist" / "loader.min.js"
DB_HOST, DB_PORT = "127.0.0.1", 3306
SERVICES = ["google-analytics", "facebook-pixel"]
ADMIN_USER, ADMIN_PASSWORD = "admin", "e2e-" + secrets.token_hex(8)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def php_has(module: str) -> bool:
    try:
        out = subprocess.run(["php", "-m"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return module.lower() in out.lower().split()


def ensure_mariadb(start: bool, timeout: float = 30) -> bool:
    """MariaDB at 127.0.0.1:3306; when `start`, start the machine's server once if it is down."""
    if port_open(DB_HOST, DB_PORT):
        return True
    daemon = "/usr/sbin/mariadbd"
    if not start or not os.path.exists(daemon) or not shutil.which("start-stop-daemon"):
        return False
    subprocess.run(["start-stop-daemon", "--start", "--oknodo", "--background", "--exec", daemon],
                   timeout=30, check=False)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(DB_HOST, DB_PORT):
            return True
        time.sleep(0.5)
    return False


def missing_tools() -> list[str]:
    """What the end-to-end test needs and this machine lacks (empty: all there)."""
    missing = []
    if not shutil.which("php"):
        missing.append("php (Debian php-cli)")
    else:
        for mod in ("mysqli", "curl"):
            if not php_has(mod):
                missing.append(f"PHP extension {mod} (Debian php-mysql / php-curl)")
    if not (WP_CORE / "wp-settings.php").exists():
        missing.append("WordPress in /usr/share/wordpress (Debian wordpress)")
    if not (THEME / "style.css").exists():
        missing.append("theme twentytwentythree (Debian wordpress-theme-twentytwentythree)")
    if not shutil.which("mysql") and not shutil.which("mariadb"):
        missing.append("mysql client (Debian mariadb-client)")
    if not ensure_mariadb(start=bool(os.environ.get("CI"))):
        missing.append(f"MariaDB at {DB_HOST}:{DB_PORT}")
    if not os.path.exists(CHROMIUM):
        missing.append(CHROMIUM)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("Python playwright")
    if not BUNDLE.exists():
        missing.append("banner bundle banner_js/dist/loader.min.js (npm ci && npm run build)")
    return missing


def wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                resp.read()
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError as exc:
            last = exc
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout}s: {last}")


def http_get(url: str, timeout: float = 30) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.read().decode("utf-8", "replace")


def mysql(sql: str) -> None:
    client = shutil.which("mariadb") or shutil.which("mysql")
    subprocess.run([client, "-h", DB_HOST, "-P", str(DB_PORT), "-u", "root", "-e", sql],
                   check=True, timeout=60, capture_output=True)


def stop(proc: subprocess.Popen | None) -> None:
    """Stop a server this harness started (its own process group), bounded."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)



def mo_header_only(language: str) -> bytes:
    """A .mo catalogue with only its header entry."""
    header = f"Content-Type: text/plain; charset=UTF-8\nLanguage: {language}\n".encode()
    start = 28 + 16  # the two one-entry tables follow the 28-byte header
    return (struct.pack("<7I", 0x950412DE, 0, 1, 28, 36, 0, start)
            + struct.pack("<2I", 0, start) + struct.pack("<2I", len(header), start + 1)
            + b"\0" + header + b"\0")


EMPTY_MO = mo_header_only("fi")

FIXTURES = Path(__file__).with_name("fixtures")
MU_PLUGIN = FIXTURES / "e2e-trackers.php"
CONSENT_READER = FIXTURES / "e2e-consent-reader.php"
CLASSIC_THEME = FIXTURES / "theme-cs-e2e"
# The WP Consent API plugin: the real one when WP_CONSENT_API_DIR points at a copy of it,
# else a stand-in of its public contract (wordpress.org cannot be reached from here).
WP_CONSENT_API = Path(os.environ.get("WP_CONSENT_API_DIR") or FIXTURES / "wp-consent-api")
YOUTUBE_EMBED = "https://www.youtube.com/embed/e2eVideo01"
PIXEL_IMG = "https://px.ads.linkedin.com/collect/?pid=1000001&fmt=gif"

CLI_PRELUDE = """<?php
$_SERVER['HTTP_HOST'] = '{host}';
$_SERVER['SERVER_NAME'] = '127.0.0.1';
$_SERVER['SERVER_PORT'] = '{port}';
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
"""


@dataclass
class Stack:
    tmp: Path
    wp_port: int = field(default_factory=free_port)
    cs_port: int = field(default_factory=free_port)
    db_name: str = field(default_factory=lambda: "wp_e2e_" + secrets.token_hex(4))
    site_key: str = ""
    policy_version: int = 0
    pages: dict = field(default_factory=dict)
    procs: list = field(default_factory=list)
    db_created: bool = False

    @property
    def docroot(self) -> Path:
        return self.tmp / "wordpress"

    @property
    def wp_url(self) -> str:
        return f"http://127.0.0.1:{self.wp_port}"

    @property
    def cs_url(self) -> str:
        return f"http://127.0.0.1:{self.cs_port}"

    @property
    def instance(self) -> Path:
        return self.tmp / "consent-instance"

    # --- consent-service -------------------------------------------------------------
    def cs_env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONSENT_")}
        env.update(CONSENT_INSTANCE_PATH=str(self.instance), CONSENT_ENV="development",
                   CONSENT_PUBLIC_URL=self.cs_url, CONSENT_SECRET_KEY=secrets.token_urlsafe(48),
                   CONSENT_LOADER_BUNDLE=str(BUNDLE), PYTHONPATH=str(ROOT),
                   FLASK_APP="consent_service")
        return env

    def cs_cli(self, *args: str, timeout: float = 120) -> str:
        cmd = [sys.executable, "-c", "from consent_service.cli import main; main()", *args]
        res = subprocess.run(cmd, cwd=ROOT, env=self._cs_env, capture_output=True, text=True,
                             timeout=timeout)
        if res.returncode:
            raise RuntimeError(f"consent-service {' '.join(args)}: {res.stderr[-2000:]}")
        return res.stdout

    def start_consent_service(self) -> None:
        self.instance.mkdir(parents=True)
        self._cs_env = self.cs_env()
        self.cs_cli("db", "upgrade")
        # A site for the WordPress origin whose published policy lists GA and the Meta pixel.
        script = (
            "import json\n"
            "from consent_service import create_app\n"
            "from consent_service.services.setup import create_site_with_policy\n"
            "app = create_app()\n"
            "with app.app_context():\n"
            # site domains are public names; the local WordPress is an allowed origin
            f"    r = create_site_with_policy(['wp-e2e.example.fi'], name='WordPress e2e',"
            f" services={SERVICES!r}, publish=True,"
            f" allowed_origins=['http://127.0.0.1:{self.wp_port}'])\n"
            "    print(json.dumps(r))\n"
        )
        res = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=self._cs_env,
                             capture_output=True, text=True, timeout=120)
        if res.returncode:
            raise RuntimeError(f"site set-up failed: {res.stderr[-2000:]}")
        created = json.loads(res.stdout.strip().splitlines()[-1])
        self.site_key, self.policy_version = created["site_key"], created["policy_version"]
        log = open(self.tmp / "consent-service.log", "wb")  # noqa: SIM115 - closed with the tmp dir
        cmd = [sys.executable, "-c", "from consent_service.cli import main; main()", "run",
               "--host", "127.0.0.1", "--port", str(self.cs_port), "--no-reload",
               "--no-debugger"]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=self._cs_env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        wait_http(f"{self.cs_url}/healthz", 60, proc)

    def stop_consent_service(self) -> None:
        stop(self.procs[0])  # started first, in start_consent_service

    def consent_events(self) -> list[dict]:
        con = sqlite3.connect(self.instance / "consent.db", timeout=10)
        try:
            con.row_factory = sqlite3.Row
            rows = con.execute(
                "SELECT e.action, e.policy_version, e.choices, e.language, e.page_url "
                "FROM consent_event e JOIN site s ON s.id = e.site_id WHERE s.site_key = ? "
                "ORDER BY e.seq", (self.site_key,)).fetchall()
        finally:
            con.close()
        return [dict(r, choices=json.loads(r["choices"])) for r in rows]

    def wait_events(self, count: int, timeout: float = 40) -> list[dict]:
        # A refused or failed POST is retried by the banner with backoff (1, 2, 4, 8 s…),
        # so on a loaded machine an event can take well over 15 s to arrive.
        deadline = time.monotonic() + timeout
        events: list[dict] = []
        while time.monotonic() < deadline:
            events = self.consent_events()
            if len(events) >= count:
                return events
            time.sleep(0.3)
        # The service's log goes with the error: the stack's folder is gone after the test.
        log = (self.tmp / "consent-service.log").read_text(errors="replace")[-4000:]
        con = sqlite3.connect(self.instance / "consent.db", timeout=10)
        try:
            rows = con.execute("SELECT site_id, action, seq FROM consent_event").fetchall()
        finally:
            con.close()
        raise TimeoutError(f"expected {count} consent events, have {events} (all rows: {rows}); "
                           f"consent-service log:\n{log}")

    # --- WordPress -------------------------------------------------------------------
    def php(self, code: str, *, installing: bool = False, timeout: float = 120) -> str:
        """Run PHP with WordPress loaded (as `wp eval` would); returns its standard output."""
        script = self.docroot / f"_e2e_cli_{secrets.token_hex(4)}.php"
        body = CLI_PRELUDE.format(host=f"127.0.0.1:{self.wp_port}", port=self.wp_port)
        if installing:
            body += "define( 'WP_INSTALLING', true );\n"
            body += "function wp_new_blog_notification() {}\n"
        body += "require __DIR__ . '/wp-load.php';\n" + code + "\n"
        script.write_text(body)
        try:
            res = subprocess.run(["php", str(script)], capture_output=True, text=True,
                                 timeout=timeout, cwd=self.docroot)
        finally:
            script.unlink()
        if res.returncode:
            raise RuntimeError(f"php failed ({res.returncode}): {res.stdout[-2000:]} "
                               f"{res.stderr[-2000:]} {self.debug_log()[-3000:]}")
        return res.stdout

    def write_config(self) -> None:
        salts = "\n".join(
            f"define( '{k}', '{secrets.token_hex(32)}' );"
            for k in ("AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT",
                      "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"))
        (self.docroot / "wp-config.php").write_text(f"""<?php
define( 'DB_NAME', '{self.db_name}' );
define( 'DB_USER', 'root' );
define( 'DB_PASSWORD', '' );
define( 'DB_HOST', '{DB_HOST}:{DB_PORT}' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
{salts}
$table_prefix = 'wp_';
define( 'WP_HOME', '{self.wp_url}' );
define( 'WP_SITEURL', '{self.wp_url}' );
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_DISPLAY', false );
define( 'WP_DEBUG_LOG', __DIR__ . '/debug.log' );
define( 'DISABLE_WP_CRON', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'WP_AUTO_UPDATE_CORE', false );
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
define( 'CONSENT_SERVICE_ALLOWED_HOSTS', '127.0.0.1:{self.cs_port}' );
define( 'FS_METHOD', 'direct' );
if ( ! defined( 'ABSPATH' ) ) {{
	define( 'ABSPATH', __DIR__ . '/' );
}}
require_once ABSPATH . 'wp-settings.php';
""")

    def install_wordpress(self) -> None:
        # A private copy. Debian links some libraries (underscore, cropper, getID3) from
        # /usr/share with relative links, so copy what they point at.
        shutil.copytree(WP_CORE, self.docroot, symlinks=False,
                        ignore=shutil.ignore_patterns("wp-content"))
        (self.docroot / "wp-config.php").unlink(missing_ok=True)
        content = self.docroot / "wp-content"
        for sub in ("themes", "plugins", "mu-plugins", "uploads", "languages"):
            (content / sub).mkdir(parents=True)
        # WordPress accepts a site language only when its .mo file is there: an empty
        # catalogue is enough for <html lang="fi"> (Debian's wordpress-l10n has the real one).
        (content / "languages" / "fi.mo").write_bytes(EMPTY_MO)
        (content / "themes" / "twentytwentythree").symlink_to(THEME)
        # The plugin goes in as a site owner installs it: from the zip that build.sh makes.
        subprocess.run(["bash", str(BUILD)], check=True, timeout=120, capture_output=True)
        with zipfile.ZipFile(PLUGIN_ZIP) as z:
            z.extractall(content / "plugins")
        shutil.copy(MU_PLUGIN, content / "mu-plugins" / "e2e-trackers.php")
        shutil.copy(CONSENT_READER, content / "mu-plugins" / "e2e-consent-reader.php")
        shutil.copytree(CLASSIC_THEME, content / "themes" / "cs-e2e")
        shutil.copytree(WP_CONSENT_API, content / "plugins" / "wp-consent-api",
                        ignore=shutil.ignore_patterns(".git", "node_modules", "tests"))
        self.write_config()
        mysql(f"CREATE DATABASE `{self.db_name}` CHARACTER SET utf8mb4")
        self.db_created = True
        self.php(
            "require_once ABSPATH . 'wp-admin/includes/upgrade.php';\n"
            f"$r = wp_install( 'Kahvila Koe', '{ADMIN_USER}', 'admin@example.invalid', false, '',"
            f" '{ADMIN_PASSWORD}', 'fi' );\n"
            "echo (int) $r['user_id'];",
            installing=True)
        out = self.php(f"""
switch_theme( 'twentytwentythree' );
require_once ABSPATH . 'wp-admin/includes/plugin.php';
$r = activate_plugin( 'consent-service/consent-service.php' );
if ( is_wp_error( $r ) ) {{ fwrite( STDERR, $r->get_error_message() ); exit( 1 ); }}
$r = activate_plugin( 'wp-consent-api/wp-consent-api.php' );
if ( is_wp_error( $r ) ) {{ fwrite( STDERR, $r->get_error_message() ); exit( 1 ); }}
update_option( 'consent_service_settings', array(
	'service_url' => '{self.cs_url}', 'site_key' => '{self.site_key}' ) );
update_option( 'WPLANG', 'fi' );
$home = wp_insert_post( array(
	'post_type' => 'page', 'post_status' => 'publish', 'post_title' => 'Tervetuloa kahvilaan',
	'post_content' => "<!-- wp:paragraph -->\\n<p>Paahdamme kahvit itse.</p>\\n"
		. "<!-- /wp:paragraph -->\\n\\n<!-- wp:paragraph -->\\n<p>Evästeasetuksiasi voit "
		. "muuttaa milloin tahansa: [consent_settings]</p>\\n<!-- /wp:paragraph -->",
) );
$block = wp_insert_post( array(
	'post_type' => 'page', 'post_status' => 'publish', 'post_title' => 'Tietosuoja',
	'post_content' =>
		'<!-- wp:consent-service/consent-settings {{"label":"Muuta evästeasetuksia"}} /-->',
) );
// A post with a YouTube embed pasted as HTML, and an <img> pixel in a footer widget.
kses_remove_filters();
$video = wp_insert_post( array(
	'post_type' => 'post', 'post_status' => 'publish', 'post_title' => 'Paahtimon video',
	'post_content' => '<!-- wp:html -->' . "\\n"
		. '<iframe width="560" height="315" src="{YOUTUBE_EMBED}" title="YouTube video"'
		. ' allowfullscreen></iframe>' . "\\n<!-- /wp:html -->\\n"
		. "<!-- wp:paragraph -->\\n<p>[consent_settings]</p>\\n<!-- /wp:paragraph -->",
) );
update_option( 'widget_custom_html', array(
	2 => array( 'title' => '', 'content' => '<img src="{PIXEL_IMG}" width="1" height="1" alt=""'
		. ' id="e2e-widget-pixel">' ),
	'_multiwidget' => 1,
) );
update_option( 'show_on_front', 'page' );
update_option( 'page_on_front', $home );
echo wp_json_encode( array( 'home' => $home, 'block' => $block, 'video' => $video ) );
""")
        self.pages = json.loads(out.strip().splitlines()[-1])

    def start_wordpress(self) -> None:
        log = open(self.tmp / "php-server.log", "wb")  # noqa: SIM115
        env = dict(os.environ, PHP_CLI_SERVER_WORKERS="2")
        proc = subprocess.Popen(
            ["php", "-S", f"127.0.0.1:{self.wp_port}", "-t", str(self.docroot)],
            cwd=self.docroot, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.procs.append(proc)
        wait_http(f"{self.wp_url}/wp-login.php", 60, proc)

    def switch_theme(self, theme: str) -> None:
        # Without 'theme_switched' the next request keeps the widget areas set here (it would
        # otherwise map the old theme's areas onto the new one's).
        self.php(f"""
switch_theme( '{theme}' );
delete_option( 'theme_switched' );
update_option( 'sidebars_widgets', array( 'wp_inactive_widgets' => array(),
	'footer' => array( 'custom_html-2' ), 'array_version' => 3 ) );
""")

    def set_language(self, locale: str) -> None:
        self.php(f"update_option( 'WPLANG', '{locale}' );")

    def debug_log(self) -> str:
        path = self.docroot / "wp-content" / "debug.log"
        alt = self.docroot / "debug.log"
        return "".join(p.read_text(errors="replace") for p in (path, alt) if p.exists())

    def close(self) -> None:
        for proc in reversed(self.procs):
            stop(proc)
        if self.db_created:
            try:
                mysql(f"DROP DATABASE IF EXISTS `{self.db_name}`")
            except (subprocess.SubprocessError, OSError):
                pass
