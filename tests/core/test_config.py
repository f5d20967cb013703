"""Profiles fail fast, naming the fix; the environment variable overrides the notebook parameter."""
from __future__ import annotations

import pytest
import torch

import llmlab
from llmlab import config


def test_default_profile_is_cpu(monkeypatch):
    monkeypatch.delenv(config.PROFILE_ENV, raising=False)
    assert config.get_profile().name == "cpu"
    assert config.get_profile("cpu").device == "cpu"


def test_environment_overrides_the_parameter(monkeypatch):
    monkeypatch.setenv(config.PROFILE_ENV, "cpu")
    assert config.get_profile("hub").name == "cpu"


def test_unknown_profile_lists_the_valid_ones(monkeypatch):
    monkeypatch.delenv(config.PROFILE_ENV, raising=False)
    with pytest.raises(config.ProfileError, match="one of: cpu, gpu, hub"):
        config.get_profile("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_gpu_without_cuda_says_what_to_do(monkeypatch):
    monkeypatch.delenv(config.PROFILE_ENV, raising=False)
    with pytest.raises(config.ProfileError, match="needs a CUDA GPU.*PROFILE='cpu'"):
        config.get_profile("gpu")


def test_hub_offline_fails_fast(monkeypatch):
    monkeypatch.delenv(config.PROFILE_ENV, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(config.ProfileError, match="not reachable.*PROFILE='cpu'"):
        config.get_profile("hub")


def test_steps_scale_with_profile():
    assert config.PROFILES["cpu"].steps(100) == 100
    assert config.PROFILES["gpu"].steps(100) == 400


def test_setup_prints_versions_and_seeds(monkeypatch, capsys):
    monkeypatch.delenv(config.PROFILE_ENV, raising=False)
    llmlab.setup("cpu", seed=3)
    a = torch.rand(3)
    llmlab.setup("cpu", seed=3)
    assert torch.equal(a, torch.rand(3))
    out = capsys.readouterr().out
    assert "profile=cpu" in out and "transformers" in out and "torch" in out


def test_every_profile_names_a_model_for_every_role():
    """A lab asks its profile for a role (`profile.models["rag"]`); no profile may lack one (a KeyError in a lab)."""
    for name, profile in config.PROFILES.items():
        assert set(profile.models) >= set(config.ZOO_MODELS), f"profile {name!r} lacks roles"
