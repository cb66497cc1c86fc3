"""Issue 5, the settings page in a real headless browser (Debian's chromium driven by chromedriver
through selenium): load, edit (debtor mask, a GL account per product group, the VAT mapping, the
intermediate account for direct-debit batches), save, see the saved values, see
``settings.changed`` leave for the worker, then the worker's ``settings.validated`` answer arrive
and show on the page.

Real parts only: ``php -S`` serving ``php-bridge/public/settings.php`` against the HostFact
stand-in on SQLite, installed with ``bin/install.php``; the machine's RabbitMQ with a fresh prefix;
``bin/relay.php --once`` and ``bin/results.php --once`` as an operator runs them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pika
import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from hfexact.amqp import topology
from hfexact.amqp.publisher import json_bytes, properties
from hfexact.handlers.results import settings_validated

pytestmark = [pytest.mark.integration, pytest.mark.php, pytest.mark.timeout(180)]

PHP_BRIDGE = Path(__file__).resolve().parents[2] / "php-bridge"
AMQP_URL = os.environ.get("HFEXACT_AMQP_URL") or "amqp://guest:guest@127.0.0.1:5672/%2F"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
INSTALLATION = "hf-browser"


@dataclass
class HostFactSite:
    base: str
    env: dict[str, str]
    prefix: str
    directory: Path

    def php(self, script: str, *args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["php", str(PHP_BRIDGE / script), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, f"php {script} exited {done.returncode}: {done.stderr}"
        return done


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def site(tmp_path: Path) -> Iterator[HostFactSite]:
    """A HostFact (stand-in, SQLite) with the bridge installed, its settings page on ``php -S``."""
    for tool, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not Path(tool).exists():
            pytest.fail(f"{tool} is missing: `apt-get install {package}` (scripts/setup.sh does)")
    prefix = "t" + uuid.uuid4().hex[:8]
    root = tmp_path / "hostfact"
    (root / "Pro" / "includes").mkdir(parents=True)
    (tmp_path / "tmp").mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HFEXACT_AMQP_URL": AMQP_URL,
        "HFEXACT_AMQP_PREFIX": prefix,
        "HFEXACT_INSTALLATION": INSTALLATION,
        "HFEXACT_DB_DSN": f"sqlite:{tmp_path / 'hostfact.sqlite3'}",
        "HFEXACT_HOSTFACT_BOOTSTRAP": str(PHP_BRIDGE / "standin" / "bootstrap.php"),
        "HFEXACT_STANDIN_ROOT": str(root),
        "HFEXACT_SPOOL_DIR": str(tmp_path / "spool"),
        "HFEXACT_CONFIG_FILE": str(tmp_path / "no-config.php"),
        "TMPDIR": str(tmp_path / "tmp"),
    }
    port = free_port()
    log = open(tmp_path / "php-server.log", "w")  # noqa: SIM115 (closed in finally, after the server)
    server = subprocess.Popen(
        ["php", "-S", f"127.0.0.1:{port}", str(PHP_BRIDGE / "public" / "settings.php")],
        cwd=PHP_BRIDGE / "public",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    made = HostFactSite(f"http://127.0.0.1:{port}", env, prefix, tmp_path)
    try:
        made.php("bin/install.php", "--hostfact", str(root))
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield made
    finally:
        server.terminate()
        server.wait(10)
        log.close()
        delete_prefix(prefix)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1200,1800",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(
        options=options,
        service=Service(
            executable_path=CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log")
        ),
    )
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def delete_prefix(prefix: str) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    try:
        channel = connection.channel()
        plan = topology.plan(prefix)
        topology.delete(channel, plan)
    finally:
        connection.close()


def listen_to_events(channel: Any, prefix: str) -> str:
    """A fresh queue of our own on ``<P>.events``: what the relay publishes, as consumers see it."""
    topology.declare(channel, prefix)
    queue: str = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
    channel.queue_bind(queue, f"{prefix}.events", routing_key="#")
    return queue


def take_all(channel: Any, queue: str, settle: float = 0.5) -> list[tuple[Any, bytes]]:
    out: list[tuple[Any, bytes]] = []
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline:
        method, props, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            time.sleep(0.05)
            continue
        out.append((props, body))
        deadline = time.monotonic() + settle
    return out


def fill(browser: WebDriver, element_id: str, text: str) -> None:
    field = browser.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(text)


def value(browser: WebDriver, element_id: str) -> str:
    return str(browser.find_element(By.ID, element_id).get_property("value"))


def save(browser: WebDriver) -> None:
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.ID, "save").click()

    def replaced(_driver: WebDriver) -> bool:
        # the page reloads after the POST: the old document's node goes stale, or, caught
        # half-way, chromedriver says it no longer belongs to the document
        try:
            old.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc):
                return True
            raise
        return False

    WebDriverWait(browser, 15).until(replaced)


def test_load_edit_save_publish_and_see_the_validation_answer(
    site: HostFactSite, browser: WebDriver, tmp_path: Path
) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    events = listen_to_events(channel, site.prefix)

    # load: the defaults, no answer from the worker yet
    browser.get(site.base + "/")
    assert "Exact Online export" in browser.title
    assert browser.find_element(By.ID, "validation").text == "nog geen antwoord"
    assert value(browser, "debtor_code_mask") == "1###"

    # an invalid mask is refused in the page, per field, and nothing is saved
    fill(browser, "debtor_code_mask", "DB-###")
    save(browser)
    errors = browser.find_elements(By.CSS_SELECTOR, '.error[data-field="debtor_code_mask"]')
    assert [e.text for e in errors] == [
        "debtor_code_mask: digits and at least one #, at most 18 characters (e.g. 1###)"
    ]
    assert value(browser, "debtor_code_mask") == "DB-###", "the form shows what was typed"

    # edit: the mask, a GL account per product group, the VAT mapping, the intermediate account
    fill(browser, "debtor_code_mask", "2####")
    fill(browser, "revenue_gl_groups", "Hosting = 8010\nDomeinnamen = 8020")
    fill(browser, "vat_codes", "21 = 2, 6, 2, 7\n9 = 1, 5, 1, 7\n0 = 0, 6, 0, 7")
    fill(browser, "sdd-intermediate_gl", "1105")
    save(browser)

    # saved: the flash with the version, and the page shows the saved values
    assert browser.current_url.endswith("?saved=1")
    flash = browser.find_element(By.ID, "flash").text
    version = flash.rsplit("(version ", 1)[1].rstrip(").")
    uuid.UUID(version)
    assert value(browser, "debtor_code_mask") == "2####"
    assert value(browser, "revenue_gl_groups") == "Hosting = 8010\nDomeinnamen = 8020"
    assert value(browser, "vat_codes") == "21 = 2, 6, 2, 7\n9 = 1, 5, 1, 7\n0 = 0, 6, 0, 7"
    assert value(browser, "sdd-intermediate_gl") == "1105"
    assert browser.find_element(By.ID, "backlog").text == "1", (
        "settings.changed waits in the outbox"
    )
    screenshot = tmp_path / "settings-saved.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("HFEXACT_E2E_SCREENSHOT"):
        shutil.copyfile(screenshot, os.environ["HFEXACT_E2E_SCREENSHOT"])

    # the relay publishes settings.changed (id = the settings version) to <P>.events
    site.php("bin/relay.php", "--once")
    published = take_all(channel, events)
    assert [p.type for p, _ in published] == ["settings.changed"]
    props, body = published[0]
    assert props.message_id == version
    data = json.loads(body)["data"]
    assert data["debtor_code_mask"] == "2####"
    assert data["revenue_gl"]["by_product_group"] == {"Hosting": "8010", "Domeinnamen": "8020"}
    assert data["vat_codes"]["9"] == {
        "domestic": "1",
        "eu_business": "5",
        "eu_consumer": "1",
        "non_eu": "7",
    }
    assert data["sdd"]["intermediate_gl"] == "1105"

    # the worker's answer arrives on <P>.bridge.results; bin/results.php stores it
    answer = settings_validated(
        installation=INSTALLATION,
        version=version,
        problems=["GL account 8020 does not exist in division 123456"],
        occurred_at=dt.datetime.now(dt.UTC),
    )
    channel.confirm_delivery()
    channel.basic_publish(
        f"{site.prefix}.results",
        answer.type,
        json_bytes(answer.body),
        properties(message_id=answer.message_id, type=answer.type),
        mandatory=True,
    )
    site.php("bin/results.php", "--once", "--idle", "0.5")

    # ... and the page shows it, for the current version, with the outbox empty and a last publish
    browser.get(site.base + "/")
    assert browser.find_element(By.ID, "validation").text == (
        "problemen: GL account 8020 does not exist in division 123456"
    )
    assert browser.find_element(By.ID, "backlog").text == "0"
    assert browser.find_element(By.ID, "last-publish").text != "nog nooit"
    connection.close()
