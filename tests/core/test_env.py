"""Configuration is read from the environment with clear messages for bad values."""

import pytest

from dialcrm import env


def test_missing_required_variable_names_it(monkeypatch):
    monkeypatch.delenv("DIALCRM_SAMPLE", raising=False)

    with pytest.raises(env.ConfigurationError) as error:
        env.string("DIALCRM_SAMPLE")

    assert str(error.value) == "DIALCRM_SAMPLE is required: set it to a non-empty text."


def test_empty_variable_counts_as_unset(monkeypatch):
    monkeypatch.setenv("DIALCRM_SAMPLE", "  ")

    assert env.string("DIALCRM_SAMPLE", default="fallback") == "fallback"


def test_malformed_integer_says_what_is_expected(monkeypatch):
    monkeypatch.setenv("DIALCRM_SAMPLE", "ten")

    with pytest.raises(
        env.ConfigurationError, match="DIALCRM_SAMPLE='ten' is not valid: expected a whole number"
    ):
        env.integer("DIALCRM_SAMPLE")


def test_integer_below_minimum_is_refused(monkeypatch):
    monkeypatch.setenv("DIALCRM_SAMPLE", "5")

    with pytest.raises(env.ConfigurationError, match="at least 60"):
        env.integer("DIALCRM_SAMPLE", minimum=60)


@pytest.mark.parametrize(
    ("raw", "expected"), [("yes", True), ("0", False), ("On", True), ("false", False)]
)
def test_booleans(monkeypatch, raw, expected):
    monkeypatch.setenv("DIALCRM_SAMPLE", raw)

    assert env.boolean("DIALCRM_SAMPLE") is expected


def test_boolean_rejects_other_words(monkeypatch):
    monkeypatch.setenv("DIALCRM_SAMPLE", "maybe")

    with pytest.raises(env.ConfigurationError, match="expected true or false"):
        env.boolean("DIALCRM_SAMPLE")


def test_lists_and_networks(monkeypatch):
    monkeypatch.setenv("DIALCRM_HOSTS", "a.example, b.example,,")
    monkeypatch.setenv("DIALCRM_NETS", "10.0.0.1/8, 2001:db8::/32")

    assert env.string_list("DIALCRM_HOSTS") == ["a.example", "b.example"]
    assert env.networks("DIALCRM_NETS") == ["10.0.0.0/8", "2001:db8::/32"]


def test_bad_network_is_refused(monkeypatch):
    monkeypatch.setenv("DIALCRM_NETS", "10.0.0.0/33")

    with pytest.raises(env.ConfigurationError, match="DIALCRM_NETS='10.0.0.0/33' is not valid"):
        env.networks("DIALCRM_NETS")


def test_choice(monkeypatch):
    monkeypatch.setenv("DIALCRM_ENV_SAMPLE", "staging")

    with pytest.raises(env.ConfigurationError, match="choose one of demo, test, production"):
        env.choice("DIALCRM_ENV_SAMPLE", ("demo", "test", "production"))


def test_production_requires_a_secret_key(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "dialcrm.cli", "check"],
        env={"PATH": "/usr/bin:/bin", "DIALCRM_ENV": "production", "PYTHONPATH": "src"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert "SECRET_KEY is required" in result.stderr
    assert "Traceback" not in result.stderr
