"""Settings are built once from a TOML file and the environment and report every problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfexact.config import Settings
from hfexact.errors import ConfigError


class TestFromEnv:
    def test_defaults_match_the_design(self) -> None:
        """Without configuration the documented defaults apply."""
        s = Settings.from_env({})
        assert s.amqp_url == "amqp://guest:guest@127.0.0.1:5672/%2F"
        assert s.amqp_prefix == "hostfact"
        assert s.store_url == "sqlite:///var/hfexact.sqlite3"
        assert s.exact_base_url == "https://start.exactonline.nl"
        assert s.exact_division is None

    def test_environment_overrides_and_types(self) -> None:
        """HFEXACT_ variables are read and coerced to the field's type."""
        s = Settings.from_env(
            {"HFEXACT_AMQP_PREFIX": "t1", "HFEXACT_EXACT_DIVISION": "123456",
             "HFEXACT_MAX_ATTEMPTS": "3", "HFEXACT_RETRY_BASE_SECONDS": "0.5"}
        )
        assert (s.amqp_prefix, s.exact_division, s.max_attempts) == ("t1", 123456, 3)
        assert s.retry_base_seconds == 0.5

    def test_every_problem_is_listed_at_once(self) -> None:
        """Several invalid values produce one error naming each of them."""
        with pytest.raises(ConfigError) as info:
            Settings.from_env(
                {"HFEXACT_AMQP_URL": "http://x", "HFEXACT_EXACT_DIVISION": "abc",
                 "HFEXACT_MAX_ATTEMPTS": "many"}
            )
        text = str(info.value)
        assert "EXACT_DIVISION" in text
        assert "MAX_ATTEMPTS" in text
        assert "AMQP_URL" in text  # the checks run too, with the values that parsed
        assert len(info.value.problems) == 3

    def test_semantic_checks_all_reported(self) -> None:
        """URL scheme, prefix and log format problems are reported together."""
        with pytest.raises(ConfigError) as info:
            Settings.from_env({"HFEXACT_AMQP_URL": "http://x", "HFEXACT_AMQP_PREFIX": "a b",
                               "HFEXACT_LOG_FORMAT": "xml"})
        assert len(info.value.problems) == 3

    def test_toml_file_then_environment(self, tmp_path: Path) -> None:
        """A TOML file sets keys; the environment wins over it."""
        cfg = tmp_path / "hfexact.toml"
        cfg.write_text('amqp_prefix = "fromfile"\nexact_division = 7\n'
                       '[divisions]\nhf-other = 42\n', encoding="utf-8")
        s = Settings.from_env({"HFEXACT_EXACT_DIVISION": "8"}, config_file=cfg)
        assert s.amqp_prefix == "fromfile"
        assert s.exact_division == 8
        assert s.division_for("hf-other") == 42
        assert s.division_for("hf-main") == 8

    def test_unknown_key_in_file_is_an_error(self, tmp_path: Path) -> None:
        """A typo in the file is reported rather than ignored."""
        cfg = tmp_path / "c.toml"
        cfg.write_text('amqp_prefx = "x"\n', encoding="utf-8")
        with pytest.raises(ConfigError, match="amqp_prefx"):
            Settings.from_env({}, config_file=cfg)

    def test_require_names_missing_settings(self) -> None:
        """Commands that need Exact credentials name each missing variable."""
        s = Settings.from_env({})
        with pytest.raises(ConfigError) as info:
            s.require("exact_client_id", "exact_client_secret", "exact_division")
        assert len(info.value.problems) == 3

    def test_no_division_is_a_clear_error(self) -> None:
        """Without a division the error says how to set one."""
        with pytest.raises(ConfigError, match="HFEXACT_EXACT_DIVISION"):
            Settings.from_env({}).division_for("hf-main")

    def test_redacted_masks_secrets(self) -> None:
        """The printable view never shows the client secret or URL passwords."""
        s = Settings.from_env({"HFEXACT_EXACT_CLIENT_SECRET": "s3cr3t",
                               "HFEXACT_AMQP_URL": "amqp://u:pw@h:5672/v"})
        view = s.redacted()
        assert view["exact_client_secret"] == "***"
        assert "pw" not in view["amqp_url"]
        assert "s3cr3t" not in repr(s)


def test_archived_debtors_policy_is_checked() -> None:
    """Only block and leave are accepted for archived debtors."""
    assert Settings.from_env({"HFEXACT_ARCHIVED_DEBTORS": "leave"}).archived_debtors == "leave"
    with pytest.raises(ConfigError, match="ARCHIVED_DEBTORS"):
        Settings.from_env({"HFEXACT_ARCHIVED_DEBTORS": "delete"})


def test_worker_concurrency_is_a_small_positive_number() -> None:
    """Eight lanes by default; 1 to 64 accepted, anything else named."""
    assert Settings().worker_concurrency == 8
    assert Settings.from_env({"HFEXACT_WORKER_CONCURRENCY": "1"}).worker_concurrency == 1
    for bad in ("0", "65"):
        with pytest.raises(ConfigError, match="HFEXACT_WORKER_CONCURRENCY must be between"):
            Settings.from_env({"HFEXACT_WORKER_CONCURRENCY": bad})
    with pytest.raises(ConfigError, match="whole number"):
        Settings.from_env({"HFEXACT_WORKER_CONCURRENCY": "two"})
