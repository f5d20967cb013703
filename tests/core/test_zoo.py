"""The zoo: cache keys, corrupt-entry recovery, loading as HF objects, and the real models' quality.

The real zoo is built by `make zoo` before pytest runs (`make test` depends on it); the quality
tests read each model's build record and re-measure a little themselves.
"""
from __future__ import annotations

import dataclasses
import inspect
import json
import os
import shutil
import subprocess
import sys

import pytest
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerFast, pipeline

from llmlab import config, inference, zoo

TINY = zoo.Recipe("test-tiny", "a 2-step model for cache tests", "causal", "pretraining_stream", ("pretrain",),
                  {"n_embd": 16, "n_layer": 1, "n_head": 2, "n_positions": 64}, steps=2, batch_size=2,
                  seq_len=32, warmup=1, evaluate="eval_lm")


@pytest.fixture
def tmp_zoo(tmp_path, monkeypatch):
    """An empty cache holding only the real tokenizer (copied), plus the tiny recipe."""
    tokenizer_dir = zoo.build("tokenizer")
    monkeypatch.setenv("LLMLAB_CACHE", str(tmp_path))
    shutil.copytree(tokenizer_dir, tmp_path / tokenizer_dir.name)
    monkeypatch.setitem(zoo.RECIPES, TINY.name, TINY)
    return tmp_path


def test_load_returns_hugging_face_objects_that_generate():
    model, tok = zoo.load("gpt-base")
    assert isinstance(model, PreTrainedModel) and isinstance(tok, PreTrainedTokenizerFast)
    gen = pipeline("text-generation", model=model, tokenizer=tok, device="cpu")
    out = gen("Classify this review: Absolutely wonderful!\nSentiment:", max_new_tokens=3, do_sample=False)
    assert out[0]["generated_text"].startswith("Classify this review")


def test_seq2seq_model_loads_as_seq2seq():
    model, tok = zoo.load("t5-base")
    assert model.config.is_encoder_decoder
    assert inference.complete(model, tok, ["summarize: A: Hi.\nB: Hello."], max_new_tokens=5)[0] != ""


@pytest.mark.parametrize("mode, layer", [("int8", "Linear8bitLt"), ("nf4", "Linear4bit")])
def test_quantized_load_through_bitsandbytes(mode, layer):
    import warnings
    fp32, tok = zoo.load("gpt-base")
    with warnings.catch_warnings():
        warnings.simplefilter("error")                 # loading stays quiet (labs show it)
        model, _ = zoo.load("gpt-base", quantization=mode)
    assert type(model.transformer.h[0].mlp.c_fc).__name__ == layer
    assert model.get_memory_footprint() < 0.6 * fp32.get_memory_footprint()
    x = tok(["Anna went to the market."], return_tensors="pt")["input_ids"]
    with torch.no_grad():
        gap = (model(x).logits - fp32(x).logits).abs().mean().item()
    assert 0 < gap < 0.5                               # quantized, and still the same model


def test_unknown_quantization_is_named():
    with pytest.raises(ValueError, match="quantization='int4'.*int8, nf4"):
        zoo.load("gpt-base", quantization="int4")


def test_unknown_name_suggests_the_closest():
    with pytest.raises(ValueError, match="Did you mean 'gpt-base'"):
        zoo.load("gpt-bsae")


@pytest.mark.parametrize("env_profile", [None, "cpu"])
def test_hub_id_offline_fails_fast_naming_the_fix(monkeypatch, env_profile):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    if env_profile:  # an environment override must not skip the reachability check
        monkeypatch.setenv(config.PROFILE_ENV, env_profile)
    else:
        monkeypatch.delenv(config.PROFILE_ENV, raising=False)
    with pytest.raises(config.ProfileError, match="PROFILE='cpu'"):
        zoo.load("openai-community/gpt2")


def test_key_changes_with_recipe_data_and_parent(tmp_zoo, monkeypatch):
    key = zoo.recipe_key("test-tiny")
    monkeypatch.setitem(zoo.RECIPES, "test-tiny", dataclasses.replace(TINY, steps=3))
    assert zoo.recipe_key("test-tiny") != key, "a changed recipe must change the key"
    monkeypatch.setitem(zoo.RECIPES, "test-tiny", dataclasses.replace(TINY, families=("pretrain", "reviews")))
    assert zoo.recipe_key("test-tiny") != key, "different data must change the key"
    instruct_key = zoo.recipe_key("gpt-instruct")
    monkeypatch.setitem(zoo.RECIPES, "gpt-base", dataclasses.replace(zoo.RECIPES["gpt-base"], lr=1e-4))
    assert zoo.recipe_key("gpt-instruct") != instruct_key, "a changed parent must change the child's key"


def test_key_changes_when_data_file_changes(tmp_zoo, tmp_path, monkeypatch):
    key = zoo.recipe_key("test-tiny")
    fake = tmp_path / "data"
    fake.mkdir()
    manifest = json.loads((config.data_dir() / "manifest.json").read_text())
    manifest["files"]["pretrain/train.jsonl"]["sha256"] = "0" * 64
    (fake / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("LLMLAB_DATA", str(fake))
    assert zoo.recipe_key("test-tiny") != key


def test_fields_added_later_keep_older_keys_and_change_keys_when_set(tmp_zoo, monkeypatch):
    key = zoo.recipe_key("test-tiny")
    parts = {k: v for k, v in dataclasses.asdict(TINY).items() if k not in zoo.LATER_FIELDS}
    assert "lora" not in parts and set(zoo.LATER_FIELDS) <= set(dataclasses.asdict(TINY))
    for change in ({"amp": "fp32"}, {"lora": {"lora_r": 2, "targets": ("c_attn",)}}):
        monkeypatch.setitem(zoo.RECIPES, "test-tiny", dataclasses.replace(TINY, **change))
        assert zoo.recipe_key("test-tiny") != key, change
    monkeypatch.setitem(zoo.RECIPES, "test-tiny", TINY)
    assert zoo.recipe_key("test-tiny") == key


@pytest.fixture
def real_t5_base():
    """The real cache's t5-base entry (requested before tmp_zoo, so it is not built in the empty cache)."""
    return zoo.build("t5-base")


@pytest.mark.parametrize("name, method", [("t5-sum", "full"), ("t5-sum-lora", "lora")])
def test_lab05_summarizers_are_finetune_runs(real_t5_base, tmp_zoo, monkeypatch, name, method):
    """The zoo's t5-sum(-lora) are llmlab.finetune.tune's runs (Lab 05's), bit for bit at one thread (3 steps here)."""
    from llmlab import finetune, instruction_data
    shutil.copytree(real_t5_base, tmp_zoo / real_t5_base.name)
    r = dataclasses.replace(zoo.RECIPES[name], name="test-sum", steps=3)
    monkeypatch.setitem(zoo.RECIPES, "test-sum", r)
    monkeypatch.setitem(zoo.MEASURED_BUILD_SECONDS, "test-sum", 1)
    built, tok = zoo.load("test-sum")
    base, _ = zoo.load("t5-base")
    kwargs = dict(r.lora or {})
    with zoo._build_threads():
        run = finetune.tune(base, instruction_data.mixture(tok, {"summarize": 4000}), method, 3,
                            pad_id=tok.pad_token_id, lr=r.lr, **kwargs)
    ours = run.model.merge_and_unload() if method == "lora" else run.model
    assert type(built) is type(base), "a LoRA entry must be saved merged, as a plain model"
    want, got = ours.state_dict(), built.state_dict()
    assert set(want) == set(got)
    assert all(torch.equal(want[k], got[k]) for k in want)
    q = "encoder.block.0.layer.0.SelfAttention.q.weight"      # trained by both methods
    assert not torch.equal(got[q], base.state_dict()[q]), "nothing trained"


def test_build_is_cached_and_recorded(tmp_zoo):
    path = zoo.build("test-tiny", progress=False)
    meta = json.loads((path / "meta.json").read_text())
    assert meta["steps"] == 2 and "val_perplexity" in meta["metrics"] and "val_perplexity" in meta["untrained_metrics"]
    stamp = (path / "meta.json").stat().st_mtime_ns
    assert zoo.build("test-tiny") == path and (path / "meta.json").stat().st_mtime_ns == stamp, "rebuilt a good entry"
    assert not list(tmp_zoo.glob("*.tmp-*")), "temporary build folder left behind"


def test_a_killed_builds_leftovers_are_swept_and_builds_use_one_thread(tmp_zoo, monkeypatch):
    key = zoo.recipe_key("test-tiny")
    orphan = tmp_zoo / f"test-tiny-{key}.tmp-999999"          # what SIGKILL mid-build leaves
    (orphan / "weights").mkdir(parents=True)
    other = tmp_zoo / f"test-tiny-x-{key}.tmp-999999"         # another model's name that starts the same: kept
    other.mkdir()
    threads = []
    real = zoo._build_into
    monkeypatch.setattr(zoo, "_build_into", lambda *a: threads.append(torch.get_num_threads()) or real(*a))
    before = torch.get_num_threads()
    zoo.build("test-tiny", progress=False)
    assert not orphan.exists() and other.exists()
    assert threads == [zoo.BUILD_THREADS] and torch.get_num_threads() == before


@pytest.mark.parametrize("damage", ["truncate", "delete", "meta"])
def test_corrupt_entry_is_rebuilt_not_crashed_on(tmp_zoo, damage, capsys):
    path = zoo.build("test-tiny", progress=False)
    weights = path / "model.safetensors"
    if damage == "truncate":
        weights.write_bytes(weights.read_bytes()[:100])
    elif damage == "delete":
        weights.unlink()
    else:
        (path / "meta.json").write_text("{not json")
    assert zoo.entry_problem(path) is not None
    model, tok = zoo.load("test-tiny")
    assert zoo.entry_problem(path) is None
    assert "rebuilding" in capsys.readouterr().err
    assert model(torch.tensor([[1, 2, 3]])).logits.shape == (1, 3, len(tok))


def test_interrupted_build_leaves_no_entry(tmp_zoo, monkeypatch):
    def boom(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(zoo.trainer, "train", boom)
    with pytest.raises(KeyboardInterrupt):
        zoo.build("test-tiny", progress=False)
    assert zoo.entry_problem(zoo.entry_dir("test-tiny")) == "missing"
    assert not list(tmp_zoo.glob("test-tiny*"))


# ---- the real models beat their untrained twins by a wide margin (numbers from the build) -------
def _meta(name: str) -> tuple[dict, dict]:
    meta = zoo.metadata(name)
    return meta["metrics"], meta["untrained_metrics"]


def test_base_lm_perplexity_far_below_untrained():
    trained, untrained = _meta("gpt-base")
    assert trained["val_perplexity"] < untrained["val_perplexity"] / 20


def test_base_lm_learns_in_context_and_its_control_does_not():
    """Bursty few-shot documents give gpt-base in-context learning; gpt-plain saw the same examples
    one per document and must gain far less from four shots (Lab 01's central lesson)."""
    base, _ = _meta("gpt-base")
    plain, _ = _meta("gpt-plain")
    base_gain = base["sentiment_acc_4shot"] - base["sentiment_acc_0shot"]
    plain_gain = plain["sentiment_acc_4shot"] - plain["sentiment_acc_0shot"]
    assert base["sentiment_acc_4shot"] >= 0.6 and base_gain >= 0.4, base
    assert plain_gain < base_gain - 0.3, (plain, base)
    assert plain["val_perplexity"] < 1.5 * base["val_perplexity"], "the control must be a comparable LM"


def test_instruct_model_follows_instructions():
    trained, untrained = _meta("gpt-instruct")
    assert trained["sentiment_acc"] > 0.75 and untrained["sentiment_acc"] < 0.1
    assert trained["summary_rougeL"] > untrained["summary_rougeL"] + 0.2


def test_seq2seq_model_summarizes_and_translates():
    trained, untrained = _meta("t5-base")
    assert trained["summary_rougeL"] > untrained["summary_rougeL"] + 0.12
    assert trained["translation_bleu"] > untrained["translation_bleu"] + 4


def test_lab05_summarizers_learn_and_full_fine_tuning_forgets_translation():
    base, _ = _meta("t5-base")
    full, lora = _meta("t5-sum")[0], _meta("t5-sum-lora")[0]
    assert full["summary_rougeL"] > base["summary_rougeL"] + 0.03
    assert full["translation_bleu"] < 0.5 * base["translation_bleu"], "single-task full fine-tuning should forget"
    assert lora["translation_bleu"] > full["translation_bleu"]


@pytest.mark.parametrize("name", ["gpt-instruct", "gpt-base"])
def test_recorded_metrics_reproduce(name):
    """The build record is not taken on trust: re-measure it (ICL accuracies, ROUGE, perplexity)."""
    model, tok = zoo.load(name)
    measured = zoo.EVALS[zoo.get_recipe(name).evaluate](model, tok)
    recorded = zoo.metadata(name)["metrics"]
    assert set(measured) <= set(recorded)
    for k in measured:
        tolerance = 0.02 * recorded[k] if "perplexity" in k else 0.02
        assert measured[k] == pytest.approx(recorded[k], abs=tolerance), k


def test_keys_follow_the_evaluation_code_into_other_modules():
    """A change to how ICL is scored (prompts.py) or generated (inference.py) must rebuild gpt-base."""
    from llmlab import inference, prompts
    hashed = zoo._with_helpers(zoo.eval_base)
    for fn in (prompts.few_shot_eval, prompts.few_shot_prompts, prompts.score, inference.complete):
        assert inspect.unwrap(fn) in hashed, fn.__qualname__
    assert prompts.TASKS in hashed        # the prompt templates, through their repr


def test_keys_do_not_depend_on_hash_seed_or_checkout_path(tmp_path):
    script = "from llmlab import zoo; print(*(zoo.recipe_key(n) for n in zoo.RECIPES))"
    keys = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        keys.add(out.stdout)
    assert len(keys) == 1
    # `python -m llmlab.zoo build` runs this module as __main__: its keys must be the importers' keys
    cli = subprocess.run([sys.executable, "-m", "llmlab.zoo", "keys"], capture_output=True, text=True, check=True)
    assert cli.stdout.split()[1::2] == keys.pop().split()


def test_parallel_build_chains_keep_parents_first():
    groups = zoo.chains(["gpt-instruct", "t5-base", "gpt-plain"])
    assert ["gpt-base", "gpt-instruct"] in groups and ["t5-base"] in groups and ["gpt-plain"] in groups
    assert sorted(m for g in groups for m in g) == sorted(["gpt-base", "gpt-instruct", "t5-base", "gpt-plain"])


def test_build_message_says_what_trains_and_for_how_long():
    msg = zoo.build_message(zoo.get_recipe("gpt-base"))
    assert msg.startswith("zoo: building gpt-base — ") and "600 steps" in msg and "min on 2 CPU cores" in msg
    assert set(zoo.MEASURED_BUILD_SECONDS) == set(zoo.RECIPES)     # every recipe has a measured time
