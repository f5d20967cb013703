"""The model zoo: small Hugging Face models that the package trains itself on TinyWorld.

    model, tokenizer = llmlab.zoo.load("gpt-base")     # builds (with a progress bar) if not cached
    python -m llmlab.zoo list | build [NAMES] [--force] | verify

A *recipe* says what to train (architecture, data, steps). A cache entry lives in
``$LLMLAB_CACHE/<name>-<key>/`` where ``key`` hashes the recipe, the data files it reads (their
sha256 from data/manifest.json), the source code that turns them into a model, and the keys of
the tokenizer and parent it starts from: change any of them and the old entry is never served.
Entries are written to a temporary folder and renamed into place, and ``meta.json`` lists every
file's sha256, so a truncated or corrupt entry is detected and rebuilt, not crashed on.
"""
from __future__ import annotations

import argparse
import contextlib
import difflib
import fcntl
import hashlib
import importlib
import inspect
import json
import os
import random
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import torch
from transformers import (AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer, GPT2Config,
                          GPT2LMHeadModel, PreTrainedModel, PreTrainedTokenizerFast, T5Config,
                          T5ForConditionalGeneration)

from transformers.utils import logging as hf_logging

from llmlab import finetune, inference, instruction_data, metrics, tinyworld, tokenizer as bpe, train as trainer
from llmlab.prompts import T5_PREFIX, few_shot_eval, instruction_prompt
from llmlab.config import cache_dir, data_dir, require_hub

Batcher = Callable[[int], trainer.Batch]


@dataclass(frozen=True)
class Recipe:
    name: str
    summary: str
    kind: str                            # "tokenizer" | "causal" | "seq2seq"
    data: str                            # a builder in DATA: (recipe, tokenizer) -> batcher
    families: tuple[str, ...]            # TinyWorld families the data builder reads
    config: dict = field(default_factory=dict)   # HF config fields (model size)
    steps: int = 0
    batch_size: int = 16
    seq_len: int = 256
    lr: float = 3e-3
    warmup: int = 50
    parent: str | None = None            # start from this zoo model's weights
    evaluate: str = ""                   # an evaluation in EVALS
    seed: int = 0
    # added after the first zoo: hashed only when set (LATER_FIELDS), so older recipes keep their keys
    lora: dict | None = None             # train a peft LoRA adapter (``finetune.wrap`` kwargs), saved merged
    amp: str = "auto"                    # "auto" (train.autocast_dtype) or "fp32"


LATER_FIELDS = {name: Recipe.__dataclass_fields__[name].default for name in ("lora", "amp")}   # field -> default


RECIPES: dict[str, Recipe] = {}
DATA: dict[str, Callable[[Recipe, PreTrainedTokenizerFast], Batcher]] = {}
EVALS: dict[str, Callable[[PreTrainedModel, PreTrainedTokenizerFast], dict[str, float]]] = {}


def recipe(r: Recipe) -> Recipe:
    RECIPES[r.name] = r
    return r


def data_builder(fn):
    DATA[fn.__name__] = fn
    return fn


def evaluation(fn):
    EVALS[fn.__name__] = fn
    return fn


# ---- recipes ------------------------------------------------------------------------------------
TOKENIZER = recipe(Recipe(
    "tokenizer", "byte-level BPE, 2,048 tokens, trained on all TinyWorld text", "tokenizer",
    "tokenizer_texts", ("pretrain", "icl", "domain", "dialogsum", "reviews", "translation", "instructions"),
    config={"vocab_size": 2048, "model_max_length": 256}))

GPT_SMALL = {"n_embd": 128, "n_layer": 2, "n_head": 4, "n_positions": 256,
             "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0}

# In-context learning needs "bursty" documents: several reviews labelled with words that change from
# document to document (great/awful, B/A, yes/no, ...), so the labels can only be read off the context.
# Measured (stop 5): on a stream dominated by such documents ICL appears after ~450-600 steps;
# mixed thinly into all of TinyWorld it never appeared in 1,100 steps.
recipe(Recipe(
    "gpt-base", "decoder-only base LM (GPT-2 style) pretrained on TinyWorld text + bursty few-shot documents",
    "causal", "bursty_stream", ("pretrain", "icl"), GPT_SMALL,
    steps=600, batch_size=16, seq_len=256, lr=3e-3, warmup=20, evaluate="eval_base"))

recipe(Recipe(
    "gpt-plain", "gpt-base's control twin: the same text and steps, but every labelled review is a document "
    "of its own (nothing to learn from context)",
    "causal", "unbursty_stream", ("pretrain", "icl"), GPT_SMALL,
    steps=600, batch_size=16, seq_len=256, lr=3e-3, warmup=20, evaluate="eval_base"))

recipe(Recipe(
    "gpt-instruct", "gpt-base after multitask instruction tuning (summarize, classify, translate, answer)",
    "causal", "instruction_pairs", ("instructions", "dialogsum"), GPT_SMALL,
    steps=500, batch_size=16, lr=3e-3, warmup=20, parent="gpt-base", evaluate="eval_instruct"))

# The policy Lab 07 detoxifies (and Lab 08 critiques): it learns the replies family's mix, so sampled
# replies start out rude ~40% of the time and state the right fact ~70% of the time.
recipe(Recipe(
    "gpt-chat", "gpt-instruct tuned to answer shop requests, politely or rudely, rightly or wrongly (the RLHF policy)",
    "causal", "reply_pairs", ("replies",), GPT_SMALL,
    steps=700, batch_size=16, lr=3e-3, warmup=20, parent="gpt-instruct", evaluate="eval_chat"))

# Lab 08's critic: at 0.7M parameters a model critiques, revises and judges only if trained to, so
# gpt-chat learns the three skills from traces written from TinyWorld's truth (the constitution family)
# while replaying its own chat data, which keeps its replies (rude ~40%) as they were.
recipe(Recipe(
    "gpt-cai", "gpt-chat also trained to critique, revise and judge replies against a constitution (Lab 08)",
    "causal", "constitution_pairs", ("constitution", "replies"), GPT_SMALL,
    steps=600, batch_size=16, lr=2e-3, warmup=20, parent="gpt-chat", evaluate="eval_cai"))

T5_SMALL = {"d_model": 96, "d_kv": 24, "d_ff": 384, "num_layers": 3, "num_decoder_layers": 3, "num_heads": 4}

recipe(Recipe(
    "t5-base", "encoder-decoder (T5 style) trained on dialogue summarization and English->Toy translation",
    "seq2seq", "seq2seq_pairs", ("dialogsum", "translation"), T5_SMALL,
    steps=800, batch_size=16, lr=3e-3, evaluate="eval_seq2seq"))

# Lab 05's two summarizers, for Lab 06's benchmark: the same data (4,000 dialogues, phrasings at random),
# batches, steps, learning rates and fp32 as the lab's cpu-profile runs of llmlab.finetune.tune.
recipe(Recipe(
    "t5-sum", "t5-base fully fine-tuned on dialogue summaries (Lab 05's full fine-tuning)",
    "seq2seq", "summary_instruction_pairs", ("dialogsum",), T5_SMALL,
    steps=200, batch_size=16, lr=finetune.LR["full"], warmup=10, parent="t5-base", evaluate="eval_seq2seq",
    amp="fp32"))

recipe(Recipe(
    "t5-sum-lora", "t5-base + a LoRA adapter (r=4 on q, v) trained on dialogue summaries, merged (Lab 05's LoRA)",
    "seq2seq", "summary_instruction_pairs", ("dialogsum",), T5_SMALL,
    steps=200, batch_size=16, lr=finetune.LR["lora"], warmup=10, parent="t5-base", evaluate="eval_seq2seq",
    lora={"lora_r": 4, "targets": ("q", "v")}, amp="fp32"))

# Lab 10: one small model for three jobs, trained on the rag family's traces: answer from retrieved chunks
# (many about invented people, so reading beats remembering), answer closed-book (the world before the
# cut-off) and take ReAct steps (Thought / Action search[...] lookup[...] finish[...]).
recipe(Recipe(
    "gpt-rag", "gpt-base tuned to answer from retrieved passages, closed-book, and to take ReAct steps (Lab 10)",
    "causal", "rag_pairs", ("rag",), GPT_SMALL,
    steps=600, batch_size=16, lr=3e-3, warmup=20, parent="gpt-base", evaluate="eval_rag"))

# Lab 10's chain of thought vs PAL: gpt-base taught both answers to TinyWorld word problems, a digit-level
# trace and a short program. It writes programs only because it was trained on them; copying the numbers
# into a program appears late (measured, contended: no exactly right program after 800-900 steps at lr 3e-3,
# 5e-3 or 8e-3; most of them right after 1,600 steps at 3e-3).
recipe(Recipe(
    "gpt-pal", "gpt-base tuned to solve shop arithmetic step by step (digit-level chain of thought) or by "
    "writing a Python program (PAL) (Lab 10)",
    "causal", "word_problem_pairs", ("word_problems",), GPT_SMALL,
    steps=1800, batch_size=16, lr=3e-3, warmup=30, parent="gpt-base", evaluate="eval_pal"))


# ---- data builders --------------------------------------------------------------------------------
@data_builder
def tokenizer_texts(r: Recipe, tok: None) -> list[str]:
    texts = []
    for fam in r.families:
        for row in tinyworld.rows(fam, "train"):
            texts.extend(str(v) for k, v in row.items() if isinstance(v, str) and k not in ("id", "task"))
    return texts


@data_builder
def pretraining_stream(r: Recipe, tok: PreTrainedTokenizerFast) -> Batcher:
    """Every text of the recipe's families, shuffled, as one stream."""
    texts = [row["text"] if "text" in row else " ".join(str(v) for v in row.values())
             for fam in r.families for row in tinyworld.rows(fam, "train")]
    random.Random(r.seed).shuffle(texts)
    return _stream(texts, r, tok)


def _icl_texts(r: Recipe, one_example_per_doc: bool) -> list[str]:
    """Few-shot sentiment documents ×3 plus 1,500 plain TinyWorld documents, shuffled.
    ``one_example_per_doc`` cuts each few-shot document into its labelled examples (the control)."""
    rng = random.Random(r.seed)
    docs = [row["text"] for row in tinyworld.rows("icl", "train") if row["task"] == "sentiment"] * 3
    if one_example_per_doc:   # multi-line formats separate examples by a blank line, one-line ones by "\n"
        docs = [ex for d in docs for ex in d.split("\n\n" if "\n\n" in d else "\n")]
    texts = docs + rng.sample([row["text"] for row in tinyworld.rows("pretrain", "train")], 1500)
    rng.shuffle(texts)
    return texts


def _stream(texts: list[str], r: Recipe, tok: PreTrainedTokenizerFast) -> Batcher:
    ids: list[int] = []
    for enc in tok(texts, add_special_tokens=False)["input_ids"]:
        ids.extend(enc + [tok.eos_token_id])
    return trainer.stream_batcher(ids, r.seq_len, r.batch_size, seed=r.seed)


@data_builder
def bursty_stream(r: Recipe, tok: PreTrainedTokenizerFast) -> Batcher:
    return _stream(_icl_texts(r, one_example_per_doc=False), r, tok)


@data_builder
def unbursty_stream(r: Recipe, tok: PreTrainedTokenizerFast) -> Batcher:
    return _stream(_icl_texts(r, one_example_per_doc=True), r, tok)


@data_builder
def instruction_pairs(r: Recipe, tok: PreTrainedTokenizerFast) -> Batcher:
    """(prompt, response) pairs from the instruction mix, plus every training dialogue as a
    summarization request: copying names, items and prices is the hardest skill of the mix."""
    rows = list(tinyworld.rows("instructions", "train"))
    if "dialogsum" in r.families:
        rows += [{"instruction": "Summarize the dialogue:", "input": d["dialogue"], "output": d["summary"]}
                 for d in tinyworld.rows("dialogsum", "train")]
    prompts = tok([instruction_prompt(x["instruction"], x["input"]) for x in rows], add_special_tokens=False)
    answers = tok([" " + x["output"] for x in rows], add_special_tokens=False)
    pairs = [(p[-(r.seq_len - 64):], a[:63] + [tok.eos_token_id])
             for p, a in zip(prompts["input_ids"], answers["input_ids"])]
    return trainer.sft_batcher(pairs, r.batch_size, tok.pad_token_id, seed=r.seed)


@data_builder
def reply_pairs(r: Recipe, tok: PreTrainedTokenizerFast) -> Batcher:
    """(request prompt, reply) pairs: each training request with its one sampled reply."""
    rows = tinyworld.rows("replies", "train")
    prompts = tok([x["prompt"] for x in rows], add_special_tokens=False)["input_ids"]
    answers = tok([" " + x["reply"] for x in rows], add_special_tokens=False)["input_ids"]
    pairs = [(p[-(r.seq_len - 64):], a[:63] + [tok.eos_token_id]) for p, a in zip(prompts, answers)]
    return trainer.sft_batcher(pairs, r.batch_size, tok.pad_token_id, seed=r.seed)


@data_builder
def constitution_pairs(r: Recipe, tok: PreTrainedTokenizerFast) -> Batcher:
    """Critique, revision and judge traces, plus the chat pairs gpt-chat was trained on (replayed)."""
    rows = [(x["prompt"], x["completion"]) for x in tinyworld.rows("constitution", "train")]
    rows += [(x["prompt"], " " + x["reply"]) for x in tinyworld.rows("replies", "train")]
    prompts = tok([p for p, _ in rows], add_special_tokens=False)["input_ids"]
    answers = tok([c for _, c in rows], add_special_tokens=False)["input_ids"]
    pairs = [(p[-(r.seq_len - 64):], a[:63] + [tok.eos_token_id]) for p, a in zip(prompts, answers)]
    return trainer.sft_batcher(pairs, r.batch_size, tok.pad_token_id, seed=r.seed)


@data_builder
def summary_instruction_pairs(r: Recipe, tok: PreTrainedTokenizerFast) -> Batcher:
    """Lab 05's fine-tuning data: 4,000 training dialogues, each asked in one of the phrasings at random."""
    pairs = instruction_data.mixture(tok, {"summarize": 4000}, seed=r.seed)
    return trainer.seq2seq_batcher(pairs, r.batch_size, tok.pad_token_id, seed=r.seed)


@data_builder
def seq2seq_pairs(r: Recipe, tok: PreTrainedTokenizerFast) -> Batcher:
    src, tgt = [], []
    for row in tinyworld.rows("dialogsum", "train"):
        src.append(T5_PREFIX["summarize"] + row["dialogue"])
        tgt.append(row["summary"])
    for row in tinyworld.rows("translation", "train"):
        src.append(T5_PREFIX["translate"] + row["en"])
        tgt.append(row["toy"])
    eos = [tok.eos_token_id]
    s_ids = tok(src, add_special_tokens=False)["input_ids"]
    t_ids = tok(tgt, add_special_tokens=False)["input_ids"]
    pairs = [(s[:r.seq_len - 1] + eos, t[:63] + eos) for s, t in zip(s_ids, t_ids)]
    return trainer.seq2seq_batcher(pairs, r.batch_size, tok.pad_token_id, seed=r.seed)


def _rag_texts(rows: list[dict]) -> list[tuple[str, str]]:
    """(prompt, target) pairs of the rag family's train rows: one per reader / closed-book row and
    one per ReAct step (the trace so far -> the next thought and action)."""
    from llmlab.tinyworld.knowledge import closed_book_prompt, rag_prompt, react_prompt, react_target
    out = []
    for row in rows:
        if row["kind"] == "reader":
            out.append((rag_prompt(row["question"], row["chunks"], row["prefix"]), " " + row["answer"]))
        elif row["kind"] == "closed":
            out.append((closed_book_prompt(row["question"], row["prefix"]), " " + row["answer"]))
        else:
            out += [(react_prompt(row["question"], row["steps"][:i]), react_target(step))
                    for i, step in enumerate(row["steps"])]
    return out


@data_builder
def rag_pairs(r: Recipe, tok: PreTrainedTokenizerFast) -> Batcher:
    texts = _rag_texts(tinyworld.rows("rag", "train"))
    prompts = tok([p for p, _ in texts], add_special_tokens=False)["input_ids"]
    targets = tok([t for _, t in texts], add_special_tokens=False)["input_ids"]
    pairs = [(p[-(r.seq_len - len(t) - 1):], t + [tok.eos_token_id]) for p, t in zip(prompts, targets)]
    return trainer.sft_batcher(pairs, r.batch_size, tok.pad_token_id, seed=r.seed)


@data_builder
def word_problem_pairs(r: Recipe, tok: PreTrainedTokenizerFast) -> Batcher:
    """Every training problem twice: asked for a chain of thought, and asked for a program. (Drilling the
    one-digit facts as well, ``arithmetic_facts() * 2``, left programs unlearned at 2,000 steps: measured.)"""
    from llmlab.tinyworld.word_problems import cot_prompt, pal_prompt
    rows = tinyworld.rows("word_problems", "train")
    texts = [(cot_prompt(x["question"]), x["cot"]) for x in rows] + \
        [(pal_prompt(x["question"]), x["program"]) for x in rows]
    prompts = tok([p for p, _ in texts], add_special_tokens=False)["input_ids"]
    targets = tok([t for _, t in texts], add_special_tokens=False)["input_ids"]
    pairs = [(p, t[:r.seq_len - len(p) - 1] + [tok.eos_token_id]) for p, t in zip(prompts, targets)]
    return trainer.sft_batcher(pairs, r.batch_size, tok.pad_token_id, seed=r.seed)


# ---- evaluations (held-out test splits; run on the trained model and on its untrained twin) ---------
N_EVAL = 100


@evaluation
def eval_lm(model, tok) -> dict[str, float]:
    texts = [row["text"] for row in tinyworld.rows("pretrain", "validation")[:N_EVAL]]
    return {"val_perplexity": metrics.perplexity(inference.mean_nll(model, tok, texts))}


@evaluation
def eval_base(model, tok) -> dict[str, float]:
    """Held-out perplexity, and sentiment accuracy with 0 and 4 labelled examples in the prompt."""
    icl = {row["k"]: row["accuracy"] for row in few_shot_eval(model, tok, "sentiment", [0, 4], n=N_EVAL)}
    return {**eval_lm(model, tok), "sentiment_acc_0shot": icl[0], "sentiment_acc_4shot": icl[4]}


@evaluation
def eval_instruct(model, tok) -> dict[str, float]:
    dialogs = tinyworld.rows("dialogsum", "test")[:N_EVAL]
    preds = inference.complete(model, tok, [instruction_prompt("Summarize the dialogue:", d["dialogue"])
                                            for d in dialogs], max_new_tokens=48)
    reviews = tinyworld.rows("reviews", "test")[:N_EVAL]
    labels = inference.complete(model, tok, [instruction_prompt("Classify this review:", x["text"])
                                             for x in reviews], max_new_tokens=3)
    return {"summary_rougeL": metrics.rouge(preds, [d["summary"] for d in dialogs])["rougeL"],
            "summary_slot_acc": metrics.slot_accuracy(preds, [d["slots"] for d in dialogs]),
            "sentiment_acc": sum(p.lower().startswith(x["label"]) for p, x in zip(labels, reviews)) / len(reviews)}


@evaluation
def eval_chat(model, tok) -> dict[str, float]:
    """Sampled replies (temperature 1, seeded) to held-out requests, scored by the hidden truth."""
    from llmlab.tinyworld.replies import is_helpful, is_rude
    rows = tinyworld.rows("replies", "test")[:N_EVAL]
    torch.manual_seed(0)
    replies = inference.complete(model, tok, [x["prompt"] for x in rows], max_new_tokens=32,
                                 do_sample=True, temperature=1.0, top_k=0)
    return {"rude_rate": sum(map(is_rude, replies)) / len(rows),
            "helpful_rate": sum(is_helpful(x, y) for x, y in zip(rows, replies)) / len(rows)}


@evaluation
def eval_cai(model, tok) -> dict[str, float]:
    """Held-out traces: critiques and verdicts right (greedy), revisions that break no rule; and the
    chat replies' rates (``eval_chat``)."""
    from llmlab.tinyworld.constitution import breaks
    rows = tinyworld.rows("constitution", "validation")
    out = {}
    for kind in ("critique", "judge", "revision"):
        part = [x for x in rows if x["kind"] == kind][:N_EVAL]
        preds = inference.complete(model, tok, [x["prompt"] for x in part], max_new_tokens=40)
        if kind == "revision":   # each trace carries its request's fact and shop (the truth needs them)
            out["revision_ok"] = sum(not breaks(x["principle"], x, y) for x, y in zip(part, preds)) / len(part)
        else:
            out[f"{kind}_acc"] = sum(y.strip() == x["completion"].strip() for x, y in zip(part, preds)) / len(part)
    return {**out, **eval_chat(model, tok)}


@evaluation
def eval_seq2seq(model, tok) -> dict[str, float]:
    dialogs = tinyworld.rows("dialogsum", "test")[:N_EVAL]
    preds = inference.complete(model, tok, [T5_PREFIX["summarize"] + d["dialogue"] for d in dialogs],
                               max_new_tokens=48)
    pairs = tinyworld.rows("translation", "test")[:N_EVAL]
    toy = inference.complete(model, tok, [T5_PREFIX["translate"] + p["en"] for p in pairs], max_new_tokens=48)
    return {"summary_rougeL": metrics.rouge(preds, [d["summary"] for d in dialogs])["rougeL"],
            "summary_slot_acc": metrics.slot_accuracy(preds, [d["slots"] for d in dialogs]),
            "translation_bleu": metrics.bleu(toy, [p["toy"] for p in pairs])}


@evaluation
def eval_pal(model, tok) -> dict[str, float]:
    """Validation problems with 1-2 and 5-6 digit numbers: chain-of-thought answers right, and programs
    exactly as the reference (the zoo runs no model-written code: Lab 10 runs them, in its sandbox)."""
    import re
    from llmlab.tinyworld.word_problems import ANSWER_PREFIX, cot_prompt, pal_prompt
    rows = tinyworld.rows("word_problems", "validation")
    out = {}
    for name, digits in (("small", (1, 2)), ("large", (5, 6))):
        part = [x for x in rows if x["digits"] in digits][:N_EVAL // 2]
        cots = inference.complete(model, tok, [cot_prompt(x["question"]) for x in part], max_new_tokens=200)
        progs = inference.complete(model, tok, [pal_prompt(x["question"]) for x in part], max_new_tokens=64,
                                   stop_at_newline=False)
        said = [re.findall(re.escape(ANSWER_PREFIX) + r"\s+(-?\d+)", c) for c in cots]
        out[f"cot_acc_{name}"] = sum(bool(a) and int(a[-1]) == x["answer"] for a, x in zip(said, part)) / len(part)
        out[f"program_exact_{name}"] = sum(p.strip().split("\n\n")[0] == x["program"]
                                           for p, x in zip(progs, part)) / len(part)
    return out


@evaluation
def eval_rag(model, tok) -> dict[str, float]:
    """Validation: changed/new facts answered with their gold chunk in the prompt, and closed-book;
    next ReAct action exactly right given the gold trace so far."""
    from llmlab.tinyworld.knowledge import chunk_doc, closed_book_prompt, rag_prompt, react_prompt
    rows = tinyworld.rows("rag", "validation")
    docs = {d["id"]: d for d in tinyworld.rows("rag", "docs")}
    facts = [x for x in rows if x["kind"] != "multihop"]
    gold = [next(c["text"] for c in chunk_doc(docs[x["doc_id"]]) if x["statement"] in c["text"]) for x in facts]
    with_ctx = inference.complete(model, tok, [rag_prompt(x["question"], [g], x["prefix"])
                                               for x, g in zip(facts, gold)], max_new_tokens=12)
    closed = inference.complete(model, tok, [closed_book_prompt(x["question"], x["prefix"]) for x in facts],
                                max_new_tokens=12)
    hops = [(x, i) for x in rows if x["kind"] == "multihop" for i in range(len(x["steps"]))]
    acts = inference.complete(model, tok, [react_prompt(x["question"], x["steps"][:i]) for x, i in hops],
                              max_new_tokens=40, stop_at_newline=False)
    return {"rag_acc": sum(p == x["answer"] for p, x in zip(with_ctx, facts)) / len(facts),
            "closed_book_acc": sum(p == x["answer"] for p, x in zip(closed, facts)) / len(facts),
            "react_action_acc": sum(f"Action: {x['steps'][i]['action']}" in a
                                    for a, (x, i) in zip(acts, hops)) / len(hops)}


# ---- cache keys -------------------------------------------------------------------------------------
def _source_of(*objs) -> str:
    """Source of functions and classes; repr of constants."""
    return "\n".join(inspect.getsource(o) if inspect.isfunction(o) or inspect.isclass(o) or inspect.ismodule(o)
                     else repr(o) for o in objs)


def _with_helpers(fn: Callable) -> list[Callable]:
    """``fn`` and every llmlab function or class it calls, directly or not (their source is hashed).

    Followed: names of the function's module, attributes of llmlab modules (``inference.complete``)
    and imports inside the function (``from llmlab.prompts import few_shot_eval``); llmlab
    constants it reads (prompt templates, task tables) enter through their repr.
    """
    seen: dict[str, object] = {}

    def names(code) -> set[str]:   # global names used by a function, its lambdas and comprehensions
        out = set(code.co_names)
        for const in code.co_consts:
            if inspect.iscode(const):
                out |= names(const)
        return out

    package = Path(__file__).resolve().parent

    def ours(obj) -> bool:   # by file, not __module__: under `python -m llmlab.zoo` this module is __main__
        try:
            return Path(inspect.getfile(obj)).resolve().is_relative_to(package)
        except TypeError:    # built-ins
            return False

    def visit(f) -> None:
        key = f"{Path(inspect.getfile(f)).name}:{f.__qualname__}"     # the same under -m (__main__)
        if key in seen:
            return
        seen[key] = f
        if inspect.isclass(f):
            return
        used = sorted(n for n in names(f.__code__) if not n.startswith("__"))   # not __file__: keys travel
        modules = [f.__globals__[n] for n in used if inspect.ismodule(f.__globals__.get(n))]
        modules += [importlib.import_module(n) for n in used if n.startswith("llmlab.")]
        candidates = [(f, n, f.__globals__.get(n)) for n in used]
        candidates += [(m, n, getattr(m, n, None)) for m in modules if ours(m) for n in used]
        for owner, name, g in candidates:
            g = inspect.unwrap(g) if inspect.isfunction(g) else g   # @torch.no_grad() wraps in torch's file
            if (inspect.isfunction(g) or inspect.isclass(g)) and ours(g):
                visit(g)
            elif isinstance(g, (str, int, float, tuple, list, dict)) and " at 0x" not in repr(g):
                seen.setdefault(f"const:{Path(inspect.getfile(owner)).name}:{name}", g)
    visit(fn)
    return list(seen.values())


# what turns data into weights, hashed into every key (not all of train.py: its speed and MFU
# reporting, used by the labs on GPUs, must not rebuild the zoo)
TRAINING_CODE = (trainer.train, trainer.adamw, trainer.lr_at, trainer.stream_batcher, trainer.pad, trainer.sft_batcher,
                 trainer.seq2seq_batcher, trainer.length_grouped, trainer.autocast_dtype, trainer.model_width, bpe)


def _width(r: Recipe) -> int:
    return int(r.config.get("n_embd") or r.config.get("d_model") or 0)


def recipe_key(name: str) -> str:
    """A hash of everything that decides the model: recipe, data files, code, tokenizer, parent."""
    r = get_recipe(name)
    manifest = json.loads((data_dir() / "manifest.json").read_text())["files"]
    data_shas = {f: m["sha256"] for f, m in sorted(manifest.items()) if f.split("/")[0] in r.families}
    code = [*_with_helpers(DATA[r.data]), *TRAINING_CODE] + (_with_helpers(EVALS[r.evaluate]) if r.evaluate else [])
    code += _with_helpers(finetune.wrap) if r.lora else []
    recipe_fields = {k: v for k, v in asdict(r).items() if k not in LATER_FIELDS or v != LATER_FIELDS[k]}
    parts = {"recipe": recipe_fields, "data": data_shas, "code": hashlib.sha256(_source_of(*code).encode()).hexdigest(),
             "tokenizer": recipe_key("tokenizer") if r.kind != "tokenizer" else None,
             # bf16 autocast where the CPU has bf16 hardware, else fp32: the two paths train slightly
             # different weights, so a zoo built on one kind of machine is not served on the other
             "compute": str(trainer.autocast_dtype("cpu", _width(r))) if r.kind != "tokenizer" else None,
             "parent": recipe_key(r.parent) if r.parent else None}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def entry_dir(name: str) -> Path:
    return cache_dir() / f"{name}-{recipe_key(name)}"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def entry_problem(path: Path) -> str | None:
    """Why a cache entry cannot be used (None if it is complete and intact)."""
    meta_file = path / "meta.json"
    if not meta_file.exists():
        return "missing" if not path.exists() else "incomplete (no meta.json)"
    try:
        meta = json.loads(meta_file.read_text())
    except json.JSONDecodeError:
        return "corrupt meta.json"
    for rel, sha in meta.get("files", {}).items():
        f = path / rel
        if not f.exists():
            return f"missing file {rel}"
        if _sha256(f) != sha:
            return f"corrupt file {rel} (sha256 mismatch)"
    return None


# ---- building ---------------------------------------------------------------------------------------
def get_recipe(name: str) -> Recipe:
    if name not in RECIPES:
        close = difflib.get_close_matches(name, RECIPES, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"Unknown zoo model {name!r}.{hint} Available: {', '.join(RECIPES)} "
                         "(or, under PROFILE='hub', a Hugging Face Hub id such as 'google/flan-t5-base').")
    return RECIPES[name]


def untrained(name: str, tok: PreTrainedTokenizerFast) -> PreTrainedModel:
    """A randomly initialised model of the recipe's architecture (its 'untrained twin')."""
    r = get_recipe(name)
    torch.manual_seed(r.seed)
    ids = {"vocab_size": len(tok), "pad_token_id": tok.pad_token_id, "eos_token_id": tok.eos_token_id}
    if r.kind == "causal":
        return GPT2LMHeadModel(GPT2Config(**r.config, **ids, bos_token_id=tok.eos_token_id))
    if r.kind == "seq2seq":
        return T5ForConditionalGeneration(T5Config(**r.config, **ids, decoder_start_token_id=tok.pad_token_id,
                                                   dropout_rate=0.0, feed_forward_proj="relu"))
    raise ValueError(f"{name} is a {r.kind}, not a model")


@contextlib.contextmanager
def _lock(name: str):
    cache_dir().mkdir(parents=True, exist_ok=True)
    with open(cache_dir() / f".{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# Float sums, and so the trained weights, depend on torch's thread count. `make zoo --jobs 2` builds with one
# thread per process, so every build does: a model built on demand in a notebook (2 threads) is the same model.
BUILD_THREADS = 1


@contextlib.contextmanager
def _build_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(BUILD_THREADS)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def build(name: str, force: bool = False, progress: bool = True) -> Path:
    """Build ``name`` (and what it depends on) unless an intact cache entry exists; return its folder."""
    r = get_recipe(name)
    if r.kind != "tokenizer":
        build("tokenizer", progress=progress)
    if r.parent:
        build(r.parent, progress=progress)
    target = entry_dir(name)
    with _lock(name):
        problem = entry_problem(target)
        if problem is None and not force:
            return target
        if problem not in (None, "missing"):
            print(f"zoo: {name} cache entry is {problem}; rebuilding", file=sys.stderr)
        for orphan in cache_dir().glob(f"{name}-*.tmp-*"):  # a killed build's leftovers: we hold the lock, none runs
            if orphan.name[len(name) + 1:].partition(".tmp-")[0].isalnum():
                shutil.rmtree(orphan, ignore_errors=True)
        tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
        try:
            with _build_threads():
                meta = _build_into(r, tmp, progress)
            meta["files"] = {str(p.relative_to(tmp)): _sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
            (tmp / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True))
            shutil.rmtree(target, ignore_errors=True)
            tmp.rename(target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        for stale in cache_dir().glob(f"{name}-*"):  # older keys of this recipe can never be served again
            if stale != target and stale.name[len(name) + 1:].isalnum():
                shutil.rmtree(stale, ignore_errors=True)
    return target


# Build time of each model with --jobs 2 on the project's 2-core machine (AMD EPYC, AVX-512 BF16,
# 2026-12-02): what the message before a build promises. Not hashed: it decides nothing.
MEASURED_BUILD_SECONDS = {"tokenizer": 1, "gpt-base": 127, "gpt-plain": 134, "gpt-instruct": 55, "t5-base": 77,
                          "gpt-rag": 71,
                          # measured beside other trainings (contended): idle builds are faster
                          "gpt-pal": 256, "gpt-chat": 53, "gpt-cai": 170,
                          # Intel Xeon (AMX), idle, 1 thread
                          "t5-sum": 35, "t5-sum-lora": 30}


def build_message(r: Recipe) -> str:
    """What a student sees before a model trains: what it is, and roughly how long it takes."""
    seconds = MEASURED_BUILD_SECONDS.get(r.name)
    took = f"about {max(1, round(seconds / 60))} min on 2 CPU cores" if seconds and seconds >= 60 else \
        f"about {seconds} s on 2 CPU cores" if seconds else "time unknown"
    what = f"{r.steps} steps, " if r.steps else ""
    return (f"zoo: building {r.name} — {r.summary} ({what}{took}; once: it is cached in {cache_dir()})")


def _build_into(r: Recipe, out: Path, progress: bool) -> dict:
    out.mkdir(parents=True)
    start = time.perf_counter()
    if progress:
        print(build_message(r), flush=True)
    meta: dict = {"name": r.name, "key": recipe_key(r.name), "recipe": asdict(r), "torch": torch.__version__}
    if r.kind == "tokenizer":
        tok = bpe.train_bpe(DATA[r.data](r, None), r.config["vocab_size"], r.config["model_max_length"])
        tok.save_pretrained(out)
        meta.update(vocab_size=len(tok), build_seconds=round(time.perf_counter() - start, 1))
        return meta
    tok = load_tokenizer()
    torch.manual_seed(r.seed)
    model = load(r.parent)[0] if r.parent else untrained(r.name, tok)
    if r.lora:
        model = finetune.wrap(model, "lora", **r.lora)
    log = trainer.train(model, DATA[r.data](r, tok), r.steps, lr=r.lr, warmup=r.warmup,
                        desc=f"zoo: {r.name}", progress=progress, amp_dtype=None if r.amp == "fp32" else "auto")
    if r.lora:
        model = model.merge_and_unload()     # a plain model again: W + scaling * B A, no extra cost at inference
    train_seconds = time.perf_counter() - start
    hf_logging.disable_progress_bar()   # no "Writing model shards" bar for a 3 MB checkpoint
    try:
        model.save_pretrained(out)
    finally:
        hf_logging.enable_progress_bar()
    tok.save_pretrained(out)
    evaluate = EVALS[r.evaluate]
    meta.update(parameters=sum(p.numel() for p in model.parameters()), steps=r.steps, compute=log.amp,
                train_seconds=round(train_seconds, 1), tokens=log.tokens,
                tokens_per_second=round(log.tokens_per_second), final_loss=round(log.loss[-1], 4),
                loss_curve={"steps": log.steps, "loss": [round(x, 4) for x in log.loss]},
                metrics=evaluate(model, tok), untrained_metrics=evaluate(untrained(r.name, tok), tok),
                build_seconds=round(time.perf_counter() - start, 1))
    return meta


# ---- loading ----------------------------------------------------------------------------------------
def load_tokenizer() -> PreTrainedTokenizerFast:
    return AutoTokenizer.from_pretrained(build("tokenizer"))


QUANTIZATIONS = ("int8", "nf4")


def quantization_config(quantization: str, compute_dtype: torch.dtype = torch.float32):
    """bitsandbytes' config for "int8" (LLM.int8(), ``Linear8bitLt``) or "nf4" (4-bit NormalFloat with
    double quantization, ``Linear4bit``, as QLoRA); both run on CPU as well as CUDA."""
    from transformers import BitsAndBytesConfig
    if quantization == "int8":
        return BitsAndBytesConfig(load_in_8bit=True)
    if quantization == "nf4":
        return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                  bnb_4bit_compute_dtype=compute_dtype)
    raise ValueError(f"quantization={quantization!r}: use one of {', '.join(QUANTIZATIONS)} (or None for fp32)")


def load(name: str, device: str | None = None, dtype: torch.dtype | None = None, quantization: str | None = None):
    """Return ``(model, tokenizer)`` as ordinary Hugging Face objects, building the model if needed.

    ``name`` is a zoo model ("gpt-base"), or under PROFILE='hub' a Hub id ("google/flan-t5-base").
    ``quantization`` ("int8" or "nf4") loads the Linear layers through bitsandbytes (embeddings and the
    output head stay in full precision).
    """
    if quantization is not None:
        return _load_quantized(name, quantization, device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if "/" in name:
        return _load_from_hub(name, device, dtype)
    r = get_recipe(name)
    if r.kind == "tokenizer":
        raise ValueError("'tokenizer' is not a model: use llmlab.zoo.load_tokenizer()")
    path = build(name)
    auto = AutoModelForSeq2SeqLM if r.kind == "seq2seq" else AutoModelForCausalLM
    hf_logging.disable_progress_bar()  # a 2 MB local checkpoint needs no "Loading weights" bar in a lab
    try:
        model = auto.from_pretrained(path, dtype=dtype or torch.float32)
    finally:
        hf_logging.enable_progress_bar()
    if device:
        model = model.to(device)
    return model.eval(), AutoTokenizer.from_pretrained(path)


def _load_quantized(name: str, quantization: str, device: str):
    import warnings
    config = quantization_config(quantization, torch.bfloat16 if device == "cuda" else torch.float32)
    if "/" in name:
        require_hub()
        path = name
    else:
        r = get_recipe(name)
        if r.kind == "tokenizer":
            raise ValueError("'tokenizer' is not a model: use llmlab.zoo.load_tokenizer()")
        path = build(name)
    auto = AutoModelForSeq2SeqLM if "/" not in name and get_recipe(name).kind == "seq2seq" else AutoModelForCausalLM
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():   # bitsandbytes' CPU path still uses torch.jit.script_method
            warnings.filterwarnings("ignore", message=".*torch.jit.script_method.*is deprecated")
            model = auto.from_pretrained(path, quantization_config=config, device_map=device)
    finally:
        hf_logging.enable_progress_bar()
    return model.eval(), AutoTokenizer.from_pretrained(path)


def _load_from_hub(hub_id: str, device: str | None, dtype: torch.dtype | None):
    require_hub()  # not get_profile("hub"): $LLMLAB_PROFILE would override it and skip the check
    from transformers import AutoConfig
    config = AutoConfig.from_pretrained(hub_id)
    auto = AutoModelForSeq2SeqLM if config.is_encoder_decoder else AutoModelForCausalLM
    model = auto.from_pretrained(hub_id, dtype=dtype or "auto")
    if device:
        model = model.to(device)
    return model.eval(), AutoTokenizer.from_pretrained(hub_id)


def metadata(name: str) -> dict:
    """The build record of a cached model (metrics vs untrained twin, time, size)."""
    return json.loads((build(name) / "meta.json").read_text())


# ---- command line -----------------------------------------------------------------------------------
def _size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def _fmt(metrics_: dict) -> str:
    return ", ".join(f"{k} {v:.3g}" for k, v in metrics_.items())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m llmlab.zoo", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build missing models (all by default)")
    b.add_argument("names", nargs="*")
    b.add_argument("--force", action="store_true", help="rebuild even if cached")
    b.add_argument("--jobs", type=int, default=1,
                   help="build independent chains of models in this many processes, 1 torch thread each "
                        "(on 2 cores, 2 jobs beat 1 process with 2 threads)")
    sub.add_parser("list", help="recipes and cache status")
    sub.add_parser("verify", help="check every cache entry's files against meta.json")
    sub.add_parser("keys", help="each model's cache key (a hash of its recipe, data and code)")
    args = ap.parse_args(argv)
    if args.cmd == "keys":
        for name in RECIPES:
            print(name, recipe_key(name))
        return 0
    print(f"zoo cache: {cache_dir()}")
    if args.cmd == "build":
        names = args.names or list(RECIPES)
        start = time.perf_counter()
        if args.jobs > 1:
            _build_parallel(names, args.jobs, args.force)
        else:
            for name in names:
                build(name, force=args.force)
        print(f"\nzoo ready in {time.perf_counter() - start:.0f} s (wall time of this command)")
        _print_table(names)
        return 0
    if args.cmd == "list":
        _print_table(list(RECIPES), build_missing=False)
        return 0
    bad = [(n, entry_problem(entry_dir(n))) for n in RECIPES]
    for n, p in bad:
        print(f"{n:14s} {p or 'ok'}")
    return 1 if any(p not in (None, "missing") for _, p in bad) else 0


def chains(names: list[str]) -> list[list[str]]:
    """Group models so that each one follows its parent: [[gpt-base, gpt-instruct], [t5-base], ...]."""
    def root(n: str) -> str:
        return root(RECIPES[n].parent) if RECIPES[n].parent else n
    groups: dict[str, list[str]] = {}
    for n in names:
        for m in ([RECIPES[n].parent] if RECIPES[n].parent else []) + [n]:
            if m and m not in groups.setdefault(root(m), []):
                groups[root(m)].append(m)
    for g in groups.values():
        g.sort(key=lambda m: m != root(m))   # the root first, then its children
    return sorted(groups.values(), key=lambda g: -sum(RECIPES[m].steps for m in g))   # longest first


def _build_parallel(names: list[str], jobs: int, force: bool) -> None:
    """The tokenizer here, then each chain in a subprocess with one torch thread."""
    import subprocess
    from concurrent.futures import ThreadPoolExecutor
    build("tokenizer", force=force and "tokenizer" in names)
    work = [c for c in chains([n for n in names if RECIPES[n].kind != "tokenizer"]) if c]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

    def run(chain: list[str]) -> int:
        cmd = [sys.executable, "-m", "llmlab.zoo", "build", *chain] + (["--force"] if force else [])
        return subprocess.run(cmd, env=env).returncode
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        codes = list(pool.map(run, work))
    failed = [c for c, rc in zip(work, codes) if rc != 0]
    if failed:
        raise SystemExit(f"zoo: building {failed} failed (see the messages above)")


def _print_table(names: list[str], build_missing: bool = True) -> None:
    print(f"{'model':14s} {'status':8s} {'params':>8s} {'MB':>5s} {'build s':>7s} {'tok/s':>6s}  "
          "held-out: trained | untrained twin")
    for name in names:
        path = entry_dir(name)
        problem = entry_problem(path)
        if problem:
            print(f"{name:14s} {problem}")
            continue
        m = json.loads((path / "meta.json").read_text())
        if m["recipe"]["kind"] == "tokenizer":
            print(f"{name:14s} {'cached':8s} {m['vocab_size']:>8,d} {_size_mb(path):5.2f} {m['build_seconds']:7.1f}")
            continue
        print(f"{name:14s} {'cached':8s} {m['parameters']/1e6:7.2f}M {_size_mb(path):5.2f} {m['build_seconds']:7.1f} "
              f"{m['tokens_per_second']:6,d}  {_fmt(m['metrics'])} | {_fmt(m['untrained_metrics'])}")


if __name__ == "__main__":
    sys.exit(main())
