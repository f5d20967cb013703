"""llmlab.prompts / llmlab.lab01.prompting: prompt building, window accounting, scoring, decoding experiments and the
explorer, on a tiny BPE and a tiny random GPT-2 (no zoo build needed; runs in seconds)."""
from __future__ import annotations

import random

import matplotlib
import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel

from llmlab import prompts, tinyworld
from llmlab.lab01 import prompting as P
from llmlab.lab01 import sampling
from llmlab.tokenizer import train_bpe

matplotlib.use("Agg")
WINDOW = 64


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def tok():
    texts = [r["text"] for r in tinyworld.rows("reviews", "train")[:400]]
    texts += [r["dialogue"] + "\n" + r["summary"] for r in tinyworld.rows("dialogsum", "train")[:200]]
    return train_bpe(texts, vocab_size=400, model_max_length=WINDOW)


@pytest.fixture(scope="module")
def model(tok):
    torch.manual_seed(0)
    cfg = GPT2Config(vocab_size=len(tok), n_positions=WINDOW, n_embd=32, n_layer=1, n_head=2,
                     pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id, bos_token_id=tok.eos_token_id)
    return GPT2LMHeadModel(cfg).eval()


REVIEWS = [{"text": f"Review number {i}.", "label": "positive" if i % 3 else "negative"} for i in range(30)]


# ---- prompt building --------------------------------------------------------------------------

def test_zero_shot_is_the_canonical_prompt_and_shots_use_its_format():
    assert prompts.build_prompt("sentiment", "Nice kettle.") == prompts.prompt("sentiment", "Nice kettle.")
    shots = [{"text": "Great.", "label": "positive"}, {"text": "Awful.", "label": "negative"}]
    assert prompts.build_prompt("sentiment", "Nice kettle.", shots) == (
        "Classify this review: Great.\nSentiment: positive\n\n"
        "Classify this review: Awful.\nSentiment: negative\n\n"
        "Classify this review: Nice kettle.\nSentiment:")
    row = {"dialogue": "A: hi\nB: bye", "summary": "A greets B."}
    two = prompts.build_prompt("summarize", "X: yo", [row, row])
    assert two.count("Summarize the dialogue:") == 3 and two.endswith("X: yo\nSummary:")
    assert "\nSummary: A greets B.\n\nSummarize" in two
    inst = prompts.build_prompt("sentiment", "Nice.", shots[:1], style="instruction")
    assert inst == ("Classify this review:\nGreat.\nResponse: positive\n\n"
                    + prompts.instruction_prompt("Classify this review:", "Nice."))
    with pytest.raises(ValueError, match="style"):
        prompts.build_prompt("sentiment", "x", style="chat")
    with pytest.raises(ValueError, match="unknown task"):
        prompts.build_prompt("poetry", "x")


def test_shots_are_seeded_distinct_and_show_both_labels():
    queries = [{"text": f"query {i}", "label": "positive"} for i in range(20)]
    a = prompts.few_shot_prompts("sentiment", queries, REVIEWS, k=4, seed=0)
    assert a == prompts.few_shot_prompts("sentiment", queries, REVIEWS, k=4, seed=0)
    assert a != prompts.few_shot_prompts("sentiment", queries, REVIEWS, k=4, seed=1)
    for prompt, q in zip(a, queries):
        assert prompt.count("Classify this review:") == 5 and prompt.endswith(f"{q['text']}\nSentiment:")
        assert "Sentiment: positive" in prompt and "Sentiment: negative" in prompt
    rng = random.Random(3)
    all_pos = [r for r in REVIEWS if r["label"] == "positive"] + [REVIEWS[0]]
    for _ in range(50):  # the pool is 95% positive: balancing must still show a negative
        shots = prompts.draw_shots(all_pos, 2, rng, "label")
        assert {s["label"] for s in shots} == {"positive", "negative"}
    shots = prompts.draw_shots(REVIEWS, 10, random.Random(0))
    assert len({s["text"] for s in shots}) == 10
    with pytest.raises(ValueError):
        prompts.draw_shots(REVIEWS, 31, rng)
    with pytest.raises(ValueError):
        prompts.draw_shots(REVIEWS, -1, rng)


# ---- tokens and the window ----------------------------------------------------------------------

def test_token_stats_and_pieces(tok):
    text = "The handle is simply sound. I would happily buy another one."
    pieces = prompts.show_tokens(tok, text)
    assert "".join(pieces) == text and len(pieces) > 3
    stats = prompts.token_stats(tok, [text, "Two words."])
    assert stats["chars"] == len(text) + 10 and stats["words"] == 13
    assert stats["tokens"] == len(pieces) + len(prompts.show_tokens(tok, "Two words."))
    assert stats["chars_per_token"] == pytest.approx(stats["chars"] / stats["tokens"])
    # words the tokenizer never saw are cut into more, shorter pieces
    unseen = prompts.token_stats(tok, ["Photosynthesis quantizes xylophones."])
    assert unseen["chars_per_token"] < stats["chars_per_token"]


def test_fit_to_window_drops_the_start_like_inference_complete(tok, model):
    assert prompts.window_of(model) == WINDOW
    long = prompts.build_prompt("sentiment", "Nice kettle.", REVIEWS[:12])
    fit = prompts.fit_to_window(tok, long, WINDOW, max_new_tokens=8)
    assert not fit.fits and fit.budget == WINDOW - 8
    assert fit.prompt_tokens == fit.budget + fit.dropped_tokens
    assert fit.dropped_text.startswith("Classify this review: Review number 0.")   # the instruction goes first
    assert fit.dropped_text + fit.kept_text == long
    tok.truncation_side = "left"
    ids = tok(long, truncation=True, max_length=fit.budget, add_special_tokens=False)["input_ids"]
    assert tok.decode(ids) == fit.kept_text  # what inference.complete feeds the model
    short = prompts.fit_to_window(tok, "Hello.", WINDOW, 8)
    assert short.fits and short.dropped_text == "" and short.kept_text == "Hello."
    batch = [long, "Hello.", long]
    assert prompts.count_truncated(tok, batch, WINDOW, 8) == 2
    assert prompts.count_truncated(tok, batch, 10_000, 8) == 0


# ---- scoring and evaluation -------------------------------------------------------------------------

def test_score_sentiment_and_summaries():
    rows = [{"text": "a", "label": "positive"}, {"text": "b", "label": "negative"},
            {"text": "c", "label": "positive"}, {"text": "d", "label": "negative"}]
    got = prompts.score("sentiment", ["Positive.", "positive", " good", ""], rows)
    assert got == {"accuracy": 0.25, "label_word_rate": 0.5}
    assert prompts.first_word("  Negative, sadly") == "negative" and prompts.first_word("") == ""
    rows = [{"dialogue": "...", "summary": "Ann buys a red kite.", "slots": {"person": "Ann", "item": "red kite"}}]
    got = prompts.score("summarize", ["Ann buys a red kite."], rows)
    assert got == {"rougeL": pytest.approx(1.0), "slot_acc": 1.0}
    got = prompts.score("summarize", ["Bob sells a kite."], rows)
    assert 0 < got["rougeL"] < 1 and got["slot_acc"] == 0.0


def test_few_shot_eval_reports_scores_and_truncation(tok, model):
    rows = prompts.few_shot_eval(model, tok, "sentiment", ks=[0, 1, 6], n=6)
    assert [r["k"] for r in rows] == [0, 1, 6]
    for r in rows:
        assert set(r) >= {"accuracy", "label_word_rate", "truncated", "mean_prompt_tokens", "n"}
        assert 0 <= r["accuracy"] <= 1 and r["n"] == 6
    assert rows[0]["mean_prompt_tokens"] < rows[1]["mean_prompt_tokens"] < rows[2]["mean_prompt_tokens"]
    # the 64-token window cannot hold 6 shots + a review: every such prompt is truncated
    queries = tinyworld.rows("reviews", "test")[:6]
    six_shot = prompts.few_shot_prompts("sentiment", queries, tinyworld.rows("reviews", "train"), 6)
    assert rows[2]["truncated"] == prompts.count_truncated(tok, six_shot, WINDOW, 3) == 6
    zero = [prompts.prompt("sentiment", q["text"]) for q in queries]
    assert rows[0]["truncated"] == prompts.count_truncated(tok, zero, WINDOW, 3) < 6
    summ = prompts.few_shot_eval(model, tok, "summarize", ks=[0], n=2)
    assert set(summ[0]) >= {"rougeL", "slot_acc", "truncated"}


# ---- decoding experiments -------------------------------------------------------------------------

def test_decoding_sweep_greedy_repeats_itself_and_sampling_does_not(tok, model):
    prompts, refs = ["Classify this review: fine", "Summarize the dialogue:"], ["positive", "A meets B."]
    rows = P.decoding_sweep(model, tok, prompts, refs, [{"greedy": True}, {"temperature": 1.5},
                                                        {"temperature": 1.0, "top_p": 0.9}],
                            samples=3, max_new_tokens=8)
    assert [r["setting"] for r in rows] == ["greedy", "T=1.5", "T=1, top-p=0.9"]
    assert rows[0]["diversity"] <= 1 / 3 + 1e-9  # three identical continuations
    assert rows[1]["diversity"] > rows[0]["diversity"]
    assert all(0 <= r["quality"] <= 1 for r in rows)
    # a student's implementation is what runs when passed in `impl`
    calls = []

    def spy(logits, t):
        calls.append(t)
        return sampling.temperature(logits, t)
    P.decoding_sweep(model, tok, prompts[:1], refs[:1], [{"temperature": 0.7}], samples=2, max_new_tokens=3,
                     impl={"temperature": spy})
    assert calls and set(calls) == {0.7}


def test_generate_texts_is_reproducible(tok, model):
    procs = sampling.processors(temperature=1.2)
    a = P.generate_texts(model, tok, ["Hello there"] * 3, processors=procs, do_sample=True, max_new_tokens=6, seed=5)
    b = P.generate_texts(model, tok, ["Hello there"] * 3, processors=procs, do_sample=True, max_new_tokens=6, seed=5)
    assert a == b
    g1 = P.generate_texts(model, tok, ["Hello there"] * 2, max_new_tokens=6)
    assert g1[0] == g1[1]


def test_repetition_effect_uses_the_given_penalty(tok, model):
    calls = []

    def spy(logits, input_ids, penalty):
        calls.append(penalty)
        return sampling.repetition_penalty(logits, input_ids, penalty)
    rows = P.repetition_effect(model, tok, ["The kettle is", "Ann said"], [1.0, 1.5], max_new_tokens=12, fn=spy)
    assert [r["penalty"] for r in rows] == [1.0, 1.5] and set(calls) == {1.5}
    for r in rows:
        assert 0 <= r["repeated"] <= 1 and 0 <= r["distinct"] <= 1


def test_setting_names():
    assert P.setting_name({}) == "greedy" and P.setting_name({"greedy": True}) == "greedy"
    assert P.setting_name({"temperature": 0.7, "top_k": 5}) == "T=0.7, top-k=5"
    assert P.setting_name({"greedy": True, "repetition_penalty": 1.2}) == "greedy, rep=1.2"


def test_greedy_sweep_applies_a_repetition_penalty(tok, model):
    calls = []

    def spy(logits, input_ids, penalty):
        calls.append(penalty)
        return sampling.repetition_penalty(logits, input_ids, penalty)
    rows = P.decoding_sweep(model, tok, ["The kettle is"], ["It boils."], [{"greedy": True},
                            {"greedy": True, "repetition_penalty": 1.5}], samples=2, max_new_tokens=8,
                            impl={"repetition_penalty": spy})
    assert set(calls) == {1.5} and all(r["diversity"] <= 0.5 + 1e-9 for r in rows)   # greedy: samples identical


def test_sweep_over_seeds_averages_and_spreads(monkeypatch):
    per_seed = {0: 0.2, 1: 0.4, 2: 0.6}
    monkeypatch.setattr(P, "decoding_sweep", lambda *a, seed, **k: [{"setting": "T=1", "quality": per_seed[seed],
                                                                      "diversity": 0.5}])
    row = P.sweep_over_seeds(None, None, [], [], [{}], seeds=[0, 1, 2])[0]
    assert row["quality"] == pytest.approx(0.4) and row["quality_sd"] == pytest.approx(0.2)
    assert row["diversity_sd"] == 0.0 and row["seeds"] == 3


def test_name_task_rows_and_prompts():
    rows = P.name_rows("test")
    assert rows and all(f"I'm {r['name']} " in r["line"] and "\n" not in r["line"] for r in rows)
    prompt = prompts.few_shot_prompts(P.NAME_TASK, rows[:1], P.name_rows("train"), k=1)[0]
    shot, query = prompt.split("\n\n")
    assert query == rows[0]["line"] + "\nName:" and shot.count("\nName: ") == 1
    assert prompts.score(P.NAME_TASK, [" " + rows[0]["name"] + " is"], rows[:1])["accuracy"] == 1.0


def test_few_shot_eval_short_keeps_short_rows_only(tok, model):
    rows = P.few_shot_eval_short(model, tok, "sentiment", [0, 1], n=5, max_input_tokens=12)
    assert [r["k"] for r in rows] == [0, 1] and all(r["n"] <= 5 for r in rows)
    short = P.short_rows(tok, tinyworld.rows("reviews", "test"), "text", 12)
    assert short and all(len(tok(r["text"])["input_ids"]) <= 12 for r in short)


# ---- the explorer and plots, headless ------------------------------------------------------------

def test_explorer_renders_headless(tok, model):
    import matplotlib.pyplot as plt

    fig = P.next_token_explorer(model, tok, "Classify this review: fine\nSentiment:", n=8, interactive=False)
    axes = [ax for ax in fig.axes if ax.patches]
    assert len(axes) == 4 and all(len(ax.containers) == 2 and len(ax.containers[0]) == 8 for ax in axes)
    logits = P.next_token_logits(model, tok, "Hello")
    assert logits.shape == (len(tok),)
    # top-k=3 panel: three green bars whose heights are the renormalised probabilities their labels show
    ax = P.plot_next_token(logits, tok, top_k=3, n=8)
    before, sampled = ax.containers
    heights = [bar.get_height() for bar in sampled]
    assert sum(h > 0 for h in heights) == 3 and "3 token(s)" in ax.get_title()
    assert sum(heights) == pytest.approx(1.0, abs=1e-5)                    # all three kept tokens are shown
    labels = [float(t.get_text()) for t in ax.texts]
    assert labels == pytest.approx([round(h, 2) for h in heights if h > 0], abs=1e-9)
    top3 = torch.softmax(logits, -1).topk(3).values
    assert sorted(h for h in heights if h > 0) == pytest.approx(sorted((top3 / top3.sum()).tolist()), abs=1e-5)
    assert [bar.get_height() for bar in before] == pytest.approx(torch.softmax(logits, -1).topk(8).values.tolist(),
                                                                 abs=1e-6)
    grey = matplotlib.colors.to_rgba("lightgrey")
    assert sum(tuple(bar.get_facecolor()) == grey for bar in before) == 5   # the cut ones
    ax = P.plot_next_token(logits, tok, top_p=1.0, n=8)
    assert all(tuple(bar.get_facecolor()) != grey for bar in ax.containers[0])
    widget = P.next_token_explorer(model, tok, "Hello", n=5)
    assert type(widget).__name__ == "interactive"
    assert {c.description for c in widget.children if hasattr(c, "description")} >= {"temperature", "top-p"}
    plt.close("all")


def test_plots_draw_one_line_per_model_and_family():
    import matplotlib.pyplot as plt

    res = {"a": [{"k": 0, "accuracy": 0.1, "truncated": 0}, {"k": 2, "accuracy": 0.8, "truncated": 3}],
           "b": [{"k": 0, "accuracy": 0.2, "truncated": 0}, {"k": 2, "accuracy": 0.3, "truncated": 0}]}
    ax = P.plot_icl_curves(res, "accuracy", baselines={"instruct zero-shot": 0.9}, title="t")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "instruct zero-shot"]
    assert "truncated" in ax.get_title()
    rows = [{"setting": "greedy", "greedy": True, "quality": 0.9, "diversity": 0.25},
            {"setting": "T=0.5", "temperature": 0.5, "quality": 0.8, "diversity": 0.5},
            {"setting": "T=1", "temperature": 1.0, "quality": 0.6, "diversity": 0.8},
            {"setting": "top-p=0.9", "top_p": 0.9, "quality": 0.7, "diversity": 0.6}]
    ax = P.plot_sweep(rows)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["greedy", "temperature", "top-p"]
    plt.close("all")


def test_use_case_tour_asks_one_held_out_request_per_task(monkeypatch):
    asked = []

    def fake_complete(model, tok, prompts_, **kw):
        asked.extend(prompts_)
        return [" positive" if p.startswith("Classify") else "?" for p in prompts_]
    monkeypatch.setattr(P.inference, "complete", fake_complete)
    rows = P.use_case_tour(None, None)
    tasks = [r["task"] for r in rows]
    assert sorted(tasks) == sorted({r["task"] for r in tinyworld.rows("instructions", "test")})
    first = {t: next(r for r in tinyworld.rows("instructions", "test") if r["task"] == t) for t in tasks}
    assert asked == [prompts.instruction_prompt(first[t]["instruction"], first[t]["input"]) for t in tasks]
    sentiment = rows[tasks.index("sentiment")]
    assert sentiment["exact"] == (first["sentiment"]["output"] == "positive") and sentiment["answer"] == "positive"
