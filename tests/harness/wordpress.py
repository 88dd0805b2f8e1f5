"""Real WordPress for the ``wordpress`` test tier: Debian's WordPress core on a private MariaDB, served by ``php -S``.

``WordPressSite.start()`` (about 2 s):

1. a private state dir (0755 so the mysql user can traverse it) with a MariaDB datadir, started with ``setsid``
   (its own process group) listening on a Unix socket only (``--skip-networking``);
2. a unique per-run config ``/etc/wordpress/config-mpesa-test-<pid>-<random>.php`` (Debian's front
   ``wp-config.php`` picks it through ``WORDPRESS_CONFIG``, set by our router), removed at ``stop()``;
3. WordPress installed from the PHP command line (``tests/wordpress/php/tool.php``: ``wp_install`` with a no-op
   ``wp_mail``, pretty permalinks, users, application passwords through WordPress's own PHP API);
4. ``php -S 127.0.0.1:<free port>`` with ``tests/wordpress/php/router.php``, in its own process group
   (``PHP_CLI_SERVER_WORKERS`` forks workers that would outlive a plain kill), ``WP_ENVIRONMENT_TYPE=local``.

Extra servers over the same database can be started with another environment type (``production`` over http:
application passwords unavailable) or plain permalinks (``?rest_route=``). ``stop()`` kills every process group and
removes the config file and the state dir, also after a failed test (the fixture calls it in a finalizer, and an
``atexit`` hook is a second line of defence).

Our must-use plugin (``tests/wordpress/mu-plugin/``) stands in for WooCommerce: it registers
``wc/v3/payment_gateways`` with WooCommerce's semantics and the Osen plugin's settings schema.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import dataclasses
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from tests.harness.secret_service import ComponentMissing

HERE = Path(__file__).resolve().parent
WP_TESTS = HERE.parent / "wordpress"
ROUTER = WP_TESTS / "php" / "router.php"
TOOL = WP_TESTS / "php" / "tool.php"
MU_PLUGIN_DIR = WP_TESTS / "mu-plugin"
WP_ROOT = Path("/usr/share/wordpress")
WP_CONFIG_DIR = Path("/etc/wordpress")

ADMIN_USER = "shopadmin"
MANAGER_USER = "shopmanager"
EDITOR_USER = "clerk"  # an Editor, WITHOUT manage_woocommerce (same login as in the sandbox shop)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _become_subreaper() -> None:
    """Adopt orphaned descendants (php -S workers outlive their leader) so they can be reaped, not left as zombies.

    Linux only (prctl PR_SET_CHILD_SUBREAPER); elsewhere, or when it fails, the init process reaps them.
    """
    global _subreaper
    if _subreaper or not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        _subreaper = libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER


_subreaper = False


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                if int(fields[2]) == pgid:  # state ppid pgrp ...
                    members.append(int(entry.name))
    return members


def _kill_group(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """SIGTERM the process group of ``proc`` (started with start_new_session), SIGKILL what is left, reap it all."""
    pgid = proc.pid  # start_new_session: the leader's pid is the group id
    members = [pid for pid in _group_members(pgid) if pid != proc.pid]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(_alive(pid) for pid in [proc.pid, *members]):
            proc.poll()
            _reap(members)
            time.sleep(0.02)
        if not any(_alive(pid) for pid in [proc.pid, *members]):
            break
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=1)
    _reap(members)


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"


def _reap(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)


def _wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise ComponentMissing(f"{what} did not become ready within {timeout:.0f} s")
        time.sleep(0.05)


@dataclasses.dataclass
class WPUser:
    login: str
    password: str = dataclasses.field(repr=False)  # the login password (wp-admin)
    email: str
    role: str
    app_password: str = dataclasses.field(default="", repr=False)
    app_password_uuid: str = ""


@dataclasses.dataclass
class PhpServer:
    url: str
    proc: subprocess.Popen[bytes]
    environment_type: str
    plain_permalinks: bool


class WordPressSite:
    """One WordPress install (one database, one config) with one or more ``php -S`` servers in front of it."""

    def __init__(self) -> None:
        self.state = Path(tempfile.mkdtemp(prefix="mpesa-wp-"))
        self.state.chmod(0o755)
        self.config_name = f"mpesa-test-{os.getpid()}-{secrets.token_hex(4)}"
        self.config_path = WP_CONFIG_DIR / f"config-{self.config_name}.php"
        self.socket = self.state / "run" / "mysqld.sock"
        self.db_password = secrets.token_hex(12)
        self.mariadb: subprocess.Popen[bytes] | None = None
        self.servers: list[PhpServer] = []
        self.users: dict[str, WPUser] = {}
        self.main_host = ""
        self._stopped = False
        atexit.register(self.stop)

    # -- lifecycle ------------------------------------------------------------------------------------------------

    @staticmethod
    def check_components() -> None:
        missing = [t for t in ("php", "mariadbd", "mariadb-install-db", "mariadb", "mariadb-admin") if not _which(t)]
        if missing:
            raise ComponentMissing(
                f"{', '.join(missing)} not installed (apt-get install php-cli php-mysql mariadb-server)"
            )
        if not (WP_ROOT / "wp-load.php").is_file():
            raise ComponentMissing("Debian's WordPress is not installed (apt-get install wordpress)")
        if not os.access(WP_CONFIG_DIR, os.W_OK):
            raise ComponentMissing(f"{WP_CONFIG_DIR} is not writable (the WordPress tier runs as root)")
        probe = subprocess.run(["php", "-m"], capture_output=True, text=True, timeout=30, check=False).stdout
        if "mysqli" not in probe:
            raise ComponentMissing("PHP's mysqli extension is missing (apt-get install php-mysql)")

    def start(self) -> WordPressSite:
        self.check_components()
        _become_subreaper()
        _remove_stale_configs()
        self._start_mariadb()
        port = free_port()
        self.main_host = f"127.0.0.1:{port}"
        self._write_config()
        self._install()
        self.servers.append(self._start_server(port, "local", plain_permalinks=False))
        return self

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        for server in self.servers:
            _kill_group(server.proc)
        self.servers.clear()
        if self.mariadb is not None:
            _kill_group(self.mariadb, timeout=20)
            self.mariadb = None
        with contextlib.suppress(FileNotFoundError):
            self.config_path.unlink()
        shutil.rmtree(self.state, ignore_errors=True)

    # -- servers ---------------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The main server (environment ``local``, pretty permalinks), no trailing slash."""
        return self.servers[0].url

    def server(self, *, environment_type: str = "local", plain_permalinks: bool = False) -> str:
        """The base URL of a server with these properties over the same database (started on first use)."""
        for server in self.servers:
            if server.environment_type == environment_type and server.plain_permalinks == plain_permalinks:
                return server.url
        server = self._start_server(free_port(), environment_type, plain_permalinks=plain_permalinks)
        self.servers.append(server)
        return server.url

    def _start_server(self, port: int, environment_type: str, *, plain_permalinks: bool) -> PhpServer:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "MPESA_WP_CONFIG": self.config_name,
            "WP_ENVIRONMENT_TYPE": environment_type,
            "PHP_CLI_SERVER_WORKERS": "4",
            "MPESA_WP_PLAIN_PERMALINKS": "1" if plain_permalinks else "0",
        }
        log = (self.state / f"php-{port}.log").open("wb")
        proc = subprocess.Popen(
            ["php", "-d", "display_errors=stderr", "-S", f"127.0.0.1:{port}", "-t", str(WP_ROOT), str(ROUTER)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # setsid: its own process group, killed as a whole
            cwd=str(self.state),
        )
        log.close()
        url = f"http://127.0.0.1:{port}"
        server = PhpServer(url, proc, environment_type, plain_permalinks)

        def ready() -> bool:
            if proc.poll() is not None:
                raise ComponentMissing(f"php -S exited with {proc.returncode}: {self.server_log(port)[-2000:]}")
            try:
                return requests.get(url + "/?rest_route=/", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        try:
            _wait_for(ready, 20, "php -S")
        except BaseException:
            _kill_group(proc)
            raise
        return server

    def server_log(self, port: int | None = None) -> str:
        logs = sorted(self.state.glob("php-*.log")) if port is None else [self.state / f"php-{port}.log"]
        return "".join(p.read_text(errors="replace") for p in logs if p.exists())

    # -- MariaDB ---------------------------------------------------------------------------------------------------

    def _start_mariadb(self) -> None:
        datadir = self.state / "db"
        rundir = self.state / "run"
        datadir.mkdir()
        rundir.mkdir()
        shutil.chown(datadir, "mysql", "mysql")
        shutil.chown(rundir, "mysql", "mysql")
        subprocess.run(
            [
                "mariadb-install-db",
                "--user=mysql",
                f"--datadir={datadir}",
                "--auth-root-authentication-method=socket",
                "--skip-test-db",
            ],
            capture_output=True,
            timeout=120,
            check=True,
        )
        log = (self.state / "mariadb.log").open("wb")
        self.mariadb = subprocess.Popen(
            [
                "mariadbd",
                "--no-defaults",
                "--user=mysql",
                f"--datadir={datadir}",
                f"--socket={self.socket}",
                f"--pid-file={rundir / 'mysqld.pid'}",
                "--skip-networking",
                "--innodb-buffer-pool-size=64M",
                f"--log-error={self.state / 'mariadb.err'}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

        def ping() -> bool:
            if self.mariadb is not None and self.mariadb.poll() is not None:
                err = (self.state / "mariadb.err").read_text(errors="replace")[-2000:]
                raise ComponentMissing(f"mariadbd exited with {self.mariadb.returncode}: {err}")
            return (
                subprocess.run(
                    ["mariadb-admin", "--no-defaults", f"--socket={self.socket}", "ping"],
                    capture_output=True,
                    timeout=10,
                    check=False,
                ).returncode
                == 0
            )

        _wait_for(ping, 30, "MariaDB")
        sql = (
            "CREATE DATABASE wordpress CHARACTER SET utf8mb4;"
            f"CREATE USER 'wp'@'localhost' IDENTIFIED BY '{self.db_password}';"
            "GRANT ALL PRIVILEGES ON wordpress.* TO 'wp'@'localhost';"
        )
        subprocess.run(
            ["mariadb", "--no-defaults", f"--socket={self.socket}", "-u", "root"],
            input=sql.encode(),
            capture_output=True,
            timeout=30,
            check=True,
        )

    # -- WordPress -------------------------------------------------------------------------------------------------

    def _write_config(self) -> None:
        salts = "\n".join(
            f"define('{name}', '{secrets.token_hex(32)}');"
            for name in (
                "AUTH_KEY",
                "SECURE_AUTH_KEY",
                "LOGGED_IN_KEY",
                "NONCE_KEY",
                "AUTH_SALT",
                "SECURE_AUTH_SALT",
                "LOGGED_IN_SALT",
                "NONCE_SALT",
            )
        )
        text = f"""<?php
// Written by mpesa-agent's test harness (tests/harness/wordpress.py); removed at the end of the test run.
define('DB_NAME', 'wordpress');
define('DB_USER', 'wp');
define('DB_PASSWORD', '{self.db_password}');
define('DB_HOST', 'localhost:{self.socket}');
$table_prefix = 'wp_';
$mpesa_test_host = isset($_SERVER['HTTP_HOST']) ? $_SERVER['HTTP_HOST'] : '{self.main_host}';
define('WP_HOME', 'http://' . $mpesa_test_host);
define('WP_SITEURL', 'http://' . $mpesa_test_host);
define('WPMU_PLUGIN_DIR', '{MU_PLUGIN_DIR}');
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('FS_METHOD', 'direct');
define('WP_DEBUG', true);
define('WP_DEBUG_LOG', '{self.state / "debug.log"}');
define('WP_DEBUG_DISPLAY', false);
{salts}
"""
        fd = os.open(self.config_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)

    def tool(self, command: str, args: dict[str, Any] | None = None, *, environment_type: str = "local") -> Any:
        """Run a command of tests/wordpress/php/tool.php with WordPress loaded; its JSON answer."""
        payload = json.dumps(
            {"config": self.config_name, "host": self.main_host, "command": command, "args": args or {}}
        )
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "WP_ENVIRONMENT_TYPE": environment_type,
        }
        cache = self.state / "opcache"
        cache.mkdir(exist_ok=True)
        done = subprocess.run(
            [
                "php",
                "-d",
                "display_errors=stderr",
                # a file cache shared by the CLI runs: loading WordPress drops from ~0.25 s to ~0.1 s
                "-d",
                "opcache.enable_cli=1",
                "-d",
                f"opcache.file_cache={cache}",
                "-d",
                "opcache.file_cache_only=1",
                str(TOOL),
            ],
            input=payload.encode(),
            capture_output=True,
            timeout=60,
            env=env,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"tool.php {command} failed ({done.returncode}): {done.stderr.decode(errors='replace')}")
        lines = [ln for ln in done.stdout.decode().splitlines() if ln.strip()]
        return json.loads(lines[-1])

    def _install(self) -> None:
        users = [
            WPUser(ADMIN_USER, secrets.token_urlsafe(12), "admin@shop.example", "administrator"),
            WPUser(MANAGER_USER, secrets.token_urlsafe(12), "manager@shop.example", "shop_manager"),
            WPUser(EDITOR_USER, secrets.token_urlsafe(12), "clerk@shop.example", "editor"),
        ]
        admin = users[0]
        result = self.tool(
            "install",
            {
                "title": "Mama Mboga Online (test)",
                "admin_user": admin.login,
                "admin_password": admin.password,
                "admin_email": admin.email,
                "users": [
                    {"login": u.login, "password": u.password, "email": u.email, "role": u.role} for u in users[1:]
                ],
            },
        )
        if not result.get("installed"):
            raise ComponentMissing(f"wp_install did not install WordPress: {result}")
        for user in users:
            created = self.create_app_password(user.login, "harness")
            user.app_password = created["password"]
            user.app_password_uuid = created["uuid"]
            self.users[user.login] = user

    # -- helpers for tests -----------------------------------------------------------------------------------------

    def create_app_password(self, login: str, name: str, app_id: str = "") -> dict[str, str]:
        """A new application password made by WordPress's own PHP API: {"password", "uuid"}."""
        return dict(self.tool("create-app-password", {"user": login, "name": name, "app_id": app_id}))

    def app_passwords(self, login: str) -> list[dict[str, str]]:
        return list(self.tool("list-app-passwords", {"user": login}))

    def get_option(self, name: str) -> Any:
        return self.tool("get-option", {"name": name})["value"]

    def update_option(self, name: str, value: Any) -> None:
        self.tool("update-option", {"name": name, "value": value})

    def delete_option(self, name: str) -> None:
        self.tool("delete-option", {"name": name})

    def reset_gateway(self) -> None:
        """Back to a fresh site: the Osen plugin active and its settings never saved."""
        self.tool("reset-gateway")

    def debug_log(self) -> str:
        path = self.state / "debug.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _remove_stale_configs() -> None:
    """Config files of earlier runs that were killed before their teardown (their pid is gone)."""
    for path in WP_CONFIG_DIR.glob("config-mpesa-test-*.php"):
        try:
            pid = int(path.name.split("-")[3])
        except (IndexError, ValueError):
            continue
        if pid != os.getpid() and not Path(f"/proc/{pid}").exists():
            with contextlib.suppress(OSError):
                path.unlink()


def _which(tool: str) -> bool:
    return shutil.which(tool) is not None or any(
        (Path(d) / tool).exists() for d in ("/usr/sbin", "/usr/local/sbin", "/sbin")
    )


class SandboxShopServer:
    """The sandbox shop (``agent.sandbox.shop``, test mode) on a free loopback port, in a thread of this process."""

    def __init__(self, state: Any = None) -> None:
        from werkzeug.serving import WSGIRequestHandler, make_server

        class QuietHandler(WSGIRequestHandler):
            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                pass

        from agent.sandbox.shop.app import create_app
        from agent.sandbox.shop.state import ShopState

        self.state = state or ShopState.seeded()
        self.app = create_app(self.state, mode="test")
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        import threading

        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="sandbox-shop", daemon=True
        )
        self._thread.start()

    @property
    def box(self) -> Any:
        from agent.sandbox.shop.app import _EXTENSION

        return self.app.extensions[_EXTENSION]

    def sim(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = requests.request(method, f"{self.url}/__sim/{path.lstrip('/')}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def app_password(self, user: str = "shopadmin", name: str | None = None) -> str:
        return str(self.sim("POST", "app-password", {"user": user, "name": name or secrets.token_hex(4)})["password"])

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
