"""Lab 02's models and data: why RNNs struggled, the three transformer families and their objectives.

* **Long-range dependencies.** ``LongRange`` builds a TinyWorld task whose answer is one word far
  back: a review adjective (``lovely``, ``shoddy``, ...) followed by ``distance`` words of ordinary
  TinyWorld text, then ``?``; the answer is which adjective it was. ``RNNClassifier`` (vanilla
  RNN or LSTM) and ``TransformerClassifier`` (GPT blocks from ``llmlab.gpt``) read it left to
  right and answer at the last token; ``accuracy_by_distance`` measures them per distance.
* **Objectives.** ``mlm_batch`` (BERT's masked LM), ``clm_batch`` (GPT's next token) and
  ``span_corruption`` (T5's sentinel spans) turn the same token ids into (input, labels) pairs;
  ``tiny_encoder`` / ``tiny_decoder`` / ``tiny_encoder_decoder`` are the matching tiny Hugging Face
  models, ``objective_batcher`` feeds ``llmlab.train.train``.
* **Inside an encoder-decoder.** ``translate_step_by_step`` runs T5 stage by stage (tokenize,
  embed, encode, decode one token at a time) and equals ``model.generate``.
* **Homonyms.** ``word_vectors`` / ``sense_probe``: a word's vector before and after attention.
"""
from __future__ import annotations

import random
import statistics
import time
import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from transformers import (BertConfig, BertForMaskedLM, BertForSequenceClassification, PreTrainedTokenizerBase,
                          T5Config, T5ForConditionalGeneration)
from transformers.modeling_outputs import SequenceClassifierOutput

from llmlab import tinyworld
from llmlab.gpt import GPT, Block, GPTConfig
from llmlab.train import IGNORE, Batch, pad

# ================================================================================================
# 1. Long-range dependencies: RNN vs transformer
# ================================================================================================
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|[.,!?;:]")
POSITIVE = [a for a in tinyworld.POS_ADJ if re.fullmatch(r"[a-z]+", a)]
NEGATIVE = [a for a in tinyworld.NEG_ADJ if re.fullmatch(r"[a-z]+", a)]
QUERY = "?"


def words(text: str) -> list[str]:
    """Lower-cased words and punctuation marks of a text."""
    return _WORD.findall(text.lower())


CUES = POSITIVE + NEGATIVE   # the words to remember: single-word review adjectives (65)


@dataclass
class LongRange:
    """"Which word came first?" over a word-level vocabulary built from TinyWorld's pretraining text.

    A sequence is ``[3 filler words] [cue] [distance - 1 filler words] ?``: the query ``?`` sits
    ``distance`` positions after the cue, a review adjective (``lovely``, ``shoddy``, ... one of
    ``len(CUES)``), and the answer is which one it was. Filler is ordinary TinyWorld text (a random
    stretch of the ``pretrain`` family) with every cue word removed, so the cue is the only
    evidence. ``batch(..., held_out=True)`` draws filler from the last 10% of the stream, which
    training never sees.
    """
    max_docs: int = 1500
    vocab: dict[str, int] = field(init=False)
    filler: list[int] = field(init=False)
    test_filler: list[int] = field(init=False)

    def __post_init__(self) -> None:
        cues = set(CUES)
        stream = [w for row in tinyworld.rows("pretrain", "train")[:self.max_docs] for w in words(row["text"])
                  if w not in cues]
        types = ["<pad>", QUERY] + CUES + sorted(set(stream) - {QUERY})
        self.vocab = {w: i for i, w in enumerate(types)}
        ids = [self.vocab[w] for w in stream]
        cut = int(len(ids) * 0.9)  # train on the first 90% of the filler stream, test on the rest
        self.filler, self.test_filler = ids[:cut], ids[cut:]

    @property
    def n_classes(self) -> int:
        return len(CUES)

    def batch(self, distance: int, batch_size: int, gen: random.Random, held_out: bool = False) -> Batch:
        """``batch_size`` sequences whose query is ``distance`` words after the cue (all one length)."""
        if distance < 1:
            raise ValueError(f"distance must be >= 1, got {distance}")
        filler = self.test_filler if held_out else self.filler
        n_fill = 3 + distance - 1
        rows, labels = [], []
        for _ in range(batch_size):
            label = gen.randrange(len(CUES))
            start = gen.randrange(len(filler) - n_fill)
            fill = filler[start:start + n_fill]
            rows.append(fill[:3] + [self.vocab[CUES[label]]] + fill[3:] + [self.vocab[QUERY]])
            labels.append(label)
        return {"input_ids": torch.tensor(rows), "labels": torch.tensor(labels)}   # (B, distance + 4), (B,)

    def decode(self, ids: Sequence[int]) -> str:
        inverse = {i: w for w, i in self.vocab.items()}
        return " ".join(inverse[int(i)] for i in ids)


def long_range_batcher(task: LongRange, distances: Sequence[int], batch_size: int,
                       seed: int = 0) -> Callable[[int], Batch]:
    """Training batches for ``llmlab.train.train``: each step draws one of ``distances``."""
    gen = random.Random(seed)
    return lambda step: task.batch(gen.choice(list(distances)), batch_size, gen)


class RNNClassifier(nn.Module):
    """Embedding -> a vanilla RNN (tanh) or an LSTM, read left to right -> a label from the last state."""

    def __init__(self, vocab_size: int, n_classes: int, n_embd: int = 64, hidden: int = 128, kind: str = "rnn"):
        super().__init__()
        if kind not in ("rnn", "lstm"):
            raise ValueError(f"kind must be 'rnn' or 'lstm', got {kind!r}")
        self.kind = kind
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.rnn = (nn.RNN if kind == "rnn" else nn.LSTM)(n_embd, hidden, batch_first=True)
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, input_ids: torch.Tensor, labels: torch.Tensor | None = None) -> SequenceClassifierOutput:
        states, _ = self.rnn(self.wte(input_ids))        # (B, T, hidden): one state per step, in order
        logits = self.head(states[:, -1])                 # (B, n_classes) from the state after the last token
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)


class TransformerClassifier(nn.Module):
    """Embeddings + learned positions -> causal GPT blocks -> a label from the last position."""

    def __init__(self, vocab_size: int, n_classes: int, block_size: int, n_embd: int = 64, n_layer: int = 2,
                 n_head: int = 4):
        super().__init__()
        cfg = GPTConfig(vocab_size=vocab_size, block_size=block_size, n_layer=n_layer, n_head=n_head,
                        n_embd=n_embd)
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.h = nn.ModuleList(Block(cfg) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd)
        self.head = nn.Linear(n_embd, n_classes)

    def forward(self, input_ids: torch.Tensor, labels: torch.Tensor | None = None) -> SequenceClassifierOutput:
        T = input_ids.shape[1]
        x = self.wte(input_ids) + self.wpe(torch.arange(T, device=input_ids.device))   # (B, T, C)
        for block in self.h:
            x = block(x)                                   # the last position attends to every word
        logits = self.head(self.ln_f(x[:, -1]))            # (B, n_classes)
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)


@torch.no_grad()
def accuracy_by_distance(model: nn.Module, task: LongRange, distances: Sequence[int], n: int = 256,
                         seed: int = 1, batch_size: int = 128) -> dict[int, float]:
    """Held-out accuracy (filler the model never trained on) at each distance."""
    model.eval()
    device = next(model.parameters()).device
    gen = random.Random(seed)
    out = {}
    for d in distances:
        right = 0
        for start in range(0, n, batch_size):
            b = task.batch(d, min(batch_size, n - start), gen, held_out=True)
            logits = model(b["input_ids"].to(device)).logits
            right += int((logits.argmax(-1).cpu() == b["labels"]).sum())
        out[int(d)] = right / n
    return out


def plot_accuracy_vs_distance(curves: dict[str, dict[int, float]], chance: float, ax=None, title: str = ""):
    """One line per model: accuracy against the distance between cue and query (log x axis)."""
    import matplotlib.pyplot as plt
    ax = ax or plt.subplots(figsize=(6, 3.6))[1]
    for name, acc in curves.items():
        ax.plot(list(acc), list(acc.values()), marker="o", label=name)
    ax.axhline(chance, color="grey", ls=":", lw=1, label="chance")
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(next(iter(curves.values()))))
    ax.get_xaxis().set_major_formatter(plt.ScalarFormatter())
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("distance from the cue word to the question (words)")
    ax.set_ylabel("held-out accuracy")
    ax.set_title(title or "the answer depends on a word far back", fontsize=10)
    ax.legend(fontsize=8)
    return ax


# ================================================================================================
# 2. Three families, three objectives, one text
# ================================================================================================
def text_chunks(tok: PreTrainedTokenizerBase, families: Sequence[str] = ("pretrain", "domain"),
                split: str = "train", seq_len: int = 64, max_docs: int | None = None, seed: int = 0) -> list[list[int]]:
    """TinyWorld documents (shuffled, joined by EOS) cut into ``seq_len``-token chunks."""
    texts = [row["text"] for fam in families for row in tinyworld.rows(fam, split)[:max_docs]]
    random.Random(seed).shuffle(texts)
    stream: list[int] = []
    for ids in tok(texts, add_special_tokens=False)["input_ids"]:
        stream += ids + [tok.eos_token_id]
    return [stream[i:i + seq_len] for i in range(0, len(stream) - seq_len + 1, seq_len)]


def _first_regular_id(tok: PreTrainedTokenizerBase) -> int:
    return max(tok.all_special_ids) + 1


def mlm_batch(ids: torch.Tensor, tok: PreTrainedTokenizerBase, p: float = 0.15,
              gen: torch.Generator | None = None, to_mask: float = 0.8, to_random: float = 0.1) -> Batch:
    """BERT's masked LM: pick ``p`` of the tokens; of those 80% -> <mask>, 10% -> a random token, 10% kept.
    Only the picked positions have labels (the original token); the rest are -100 (ignored)."""
    regular = ids >= _first_regular_id(tok)                                   # never mask padding / specials
    picked = (torch.rand(ids.shape, generator=gen) < p) & regular            # (B, T)
    labels = ids.masked_fill(~picked, IGNORE)
    r = torch.rand(ids.shape, generator=gen)
    inputs = ids.masked_fill(picked & (r < to_mask), tok.mask_token_id)
    noise = torch.randint(_first_regular_id(tok), len(tok), ids.shape, generator=gen)
    inputs = torch.where(picked & (r >= to_mask) & (r < to_mask + to_random), noise, inputs)
    return {"input_ids": inputs, "attention_mask": (ids != tok.pad_token_id).long(), "labels": labels}


def clm_batch(ids: torch.Tensor, tok: PreTrainedTokenizerBase) -> Batch:
    """GPT's causal LM: labels are the inputs themselves; the model predicts token t+1 at position t
    (it shifts them), and its causal mask hides everything after t."""
    return {"input_ids": ids, "labels": ids.masked_fill(ids == tok.pad_token_id, IGNORE)}


def _partition(total: int, parts: int, gen: random.Random) -> list[int]:
    """``total`` split into ``parts`` positive integers, uniformly at random."""
    cuts = sorted(gen.sample(range(1, total), parts - 1))
    return [b - a for a, b in zip([0] + cuts, cuts + [total])]


def span_corruption(ids: Sequence[int], tok: PreTrainedTokenizerBase, noise: float = 0.15, mean_span: float = 3.0,
                    gen: random.Random | None = None) -> tuple[list[int], list[int]]:
    """T5's objective: replace random spans (``noise`` of the tokens, ``mean_span`` long on average)
    with sentinels <extra_id_0>, <extra_id_1>, ...; the target lists each sentinel and the span it hid."""
    gen = gen or random.Random(0)
    n = len(ids)
    n_noise = min(max(1, round(n * noise)), n - 1)
    n_spans = max(1, min(round(n_noise / mean_span), n - n_noise, 16))
    keep_lens, noise_lens = _partition(n - n_noise, n_spans, gen), _partition(n_noise, n_spans, gen)
    source, target, pos = [], [], 0
    for i, (keep, drop) in enumerate(zip(keep_lens, noise_lens)):
        sentinel = tok.convert_tokens_to_ids(f"<extra_id_{i}>")
        source += list(ids[pos:pos + keep]) + [sentinel]
        target += [sentinel] + list(ids[pos + keep:pos + keep + drop])
        pos += keep + drop
    return source + [tok.eos_token_id], target + [tok.eos_token_id]


def span_batch(chunks: Sequence[Sequence[int]], tok: PreTrainedTokenizerBase, gen: random.Random) -> Batch:
    pairs = [span_corruption(c, tok, gen=gen) for c in chunks]
    src = [s for s, _ in pairs]
    return {"input_ids": pad(src, tok.pad_token_id), "attention_mask": pad([[1] * len(s) for s in src], 0),
            "labels": pad([t for _, t in pairs], IGNORE)}


OBJECTIVES = ("mlm", "clm", "span")


MASK_RATE = 0.15   # BERT's; Wettig et al. (2022) found 40% as good or better, and it trains faster


def objective_batch(kind: str, chunks: Sequence[Sequence[int]], tok: PreTrainedTokenizerBase, seed: int = 0,
                    mask_rate: float = MASK_RATE) -> Batch:
    """One batch of ``chunks`` under an objective: "mlm" (encoder), "clm" (decoder), "span" (encoder-decoder)."""
    if kind == "mlm":
        return mlm_batch(torch.tensor(chunks), tok, p=mask_rate, gen=torch.Generator().manual_seed(seed))
    if kind == "clm":
        return clm_batch(torch.tensor(chunks), tok)
    if kind == "span":
        return span_batch(chunks, tok, random.Random(seed))
    raise ValueError(f"unknown objective {kind!r}; choose one of {OBJECTIVES}")


def objective_batcher(kind: str, chunks: Sequence[Sequence[int]], tok: PreTrainedTokenizerBase, batch_size: int,
                      seed: int = 0, mask_rate: float = MASK_RATE) -> Callable[[int], Batch]:
    """Training batches for ``llmlab.train.train``: random chunks, fresh masks every step."""
    gen = random.Random(seed)
    return lambda step: objective_batch(kind, [chunks[gen.randrange(len(chunks))] for _ in range(batch_size)],
                                        tok, seed=seed * 1_000_003 + step, mask_rate=mask_rate)


def show_objectives(tok: PreTrainedTokenizerBase, text: str, seed: int = 3) -> dict[str, tuple[str, str]]:
    """The same sentence as (model input, what the loss scores) under each objective, readable
    (here every picked MLM token becomes <mask>; in training 10% become random tokens, 10% stay)."""
    ids = tok(text, add_special_tokens=False)["input_ids"]
    m = mlm_batch(torch.tensor([ids]), tok, p=0.2, gen=torch.Generator().manual_seed(seed), to_mask=1.0)
    src, tgt = span_corruption(ids, tok, noise=0.25, mean_span=2.5, gen=random.Random(seed))
    mlm_in = tok.decode(m["input_ids"][0])
    mlm_out = ", ".join(f"{tok.decode([int(x)])!r} at {i}" for i, x in enumerate(m["labels"][0]) if x != IGNORE)
    return {"encoder-only, masked LM (BERT)": (mlm_in, "the hidden tokens, at their positions: " + mlm_out),
            "decoder-only, causal LM (GPT)": (tok.decode(ids[:-1]), "predict every next token: " + tok.decode(ids[1:])),
            "encoder-decoder, span corruption (T5)": (tok.decode(src), "generate the hidden spans: " + tok.decode(tgt))}


def tiny_encoder(tok: PreTrainedTokenizerBase, n_embd: int = 64, n_layer: int = 2, n_head: int = 4,
                 max_len: int = 128, seed: int = 0) -> BertForMaskedLM:
    """A BERT-style encoder with a masked-LM head (bidirectional attention; eager, so maps can be read)."""
    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=len(tok), hidden_size=n_embd, num_hidden_layers=n_layer, num_attention_heads=n_head,
                     intermediate_size=4 * n_embd, max_position_embeddings=max_len, pad_token_id=tok.pad_token_id,
                     hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    cfg._attn_implementation = "eager"
    return BertForMaskedLM(cfg)


def tiny_decoder(tok: PreTrainedTokenizerBase, n_embd: int = 64, n_layer: int = 2, n_head: int = 4,
                 max_len: int = 128, seed: int = 0) -> GPT:
    """A GPT-2-style decoder (``llmlab.gpt``): causal attention, next-token loss."""
    torch.manual_seed(seed)
    return GPT(GPTConfig(vocab_size=len(tok), block_size=max_len, n_layer=n_layer, n_head=n_head, n_embd=n_embd))


def tiny_encoder_decoder(tok: PreTrainedTokenizerBase, n_embd: int = 64, n_layer: int = 2, n_head: int = 4,
                         seed: int = 0) -> T5ForConditionalGeneration:
    """A T5-style encoder-decoder: bidirectional encoder, causal decoder with cross-attention."""
    torch.manual_seed(seed)
    cfg = T5Config(vocab_size=len(tok), d_model=n_embd, d_kv=n_embd // n_head, d_ff=4 * n_embd, num_layers=n_layer,
                   num_decoder_layers=n_layer, num_heads=n_head, dropout_rate=0.0, feed_forward_proj="relu",
                   pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
                   decoder_start_token_id=tok.pad_token_id)
    return T5ForConditionalGeneration(cfg)


TINY = {"mlm": tiny_encoder, "clm": tiny_decoder, "span": tiny_encoder_decoder}


@torch.no_grad()
def objective_eval(model: nn.Module, kind: str, chunks: Sequence[Sequence[int]], tok: PreTrainedTokenizerBase,
                   batch_size: int = 64) -> dict[str, float]:
    """Held-out loss and accuracy (argmax == label) at the positions the objective scores."""
    model.eval()
    device = next(model.parameters()).device
    total_loss, right, n = 0.0, 0, 0
    for start in range(0, len(chunks), batch_size):
        batch = {k: v.to(device) for k, v in objective_batch(kind, chunks[start:start + batch_size], tok,
                                                              seed=10_000 + start).items()}
        out = model(**batch)
        labels = batch["labels"]
        logits = out.logits
        if kind == "clm":   # position t predicts token t+1
            logits, labels = logits[:, :-1], labels[:, 1:]
        scored = labels != IGNORE
        k = int(scored.sum())
        total_loss += float(out.loss) * k
        right += int((logits.argmax(-1)[scored] == labels[scored]).sum())
        n += k
    return {"loss": total_loss / n, "accuracy": right / n}


# ---- what each family is good at ----------------------------------------------------------------
def _encode_reviews(rows: Sequence[dict], tok: PreTrainedTokenizerBase,
                    max_len: int = 64) -> tuple[list[list[int]], list[int]]:
    """<|endoftext|> (in the [CLS] slot) + the review's tokens; label 1 = positive."""
    enc = [[tok.eos_token_id] + ids[:max_len - 1]
           for ids in tok([r["text"] for r in rows], add_special_tokens=False)["input_ids"]]
    return enc, [int(r["label"] == "positive") for r in rows]


def _classify_batch(enc: Sequence[list[int]], labels: Sequence[int], tok: PreTrainedTokenizerBase) -> Batch:
    return {"input_ids": pad(enc, tok.pad_token_id), "attention_mask": pad([[1] * len(x) for x in enc], 0),
            "labels": torch.tensor(labels)}


def review_batcher(rows: Sequence[dict], tok: PreTrainedTokenizerBase, batch_size: int,
                   seed: int = 0) -> Callable[[int], Batch]:
    """Sentiment-classification batches (random reviews from ``rows``) for ``llmlab.train.train``."""
    gen = random.Random(seed)
    enc, labels = _encode_reviews(rows, tok)

    def next_batch(step: int) -> Batch:
        pick = [gen.randrange(len(rows)) for _ in range(batch_size)]
        return _classify_batch([enc[i] for i in pick], [labels[i] for i in pick], tok)
    return next_batch


def classifier_from(encoder: BertForMaskedLM) -> BertForSequenceClassification:
    """A sequence classifier on ``encoder``'s body (weights copied) with a new 2-way head."""
    cfg = encoder.config.__class__.from_dict(encoder.config.to_dict())
    cfg.num_labels = 2
    cfg._attn_implementation = "eager"
    torch.manual_seed(0)
    clf = BertForSequenceClassification(cfg)
    missing, _ = clf.bert.load_state_dict(encoder.bert.state_dict(), strict=False)
    assert all(m.startswith("pooler") for m in missing), missing     # everything but BERT's pooler is copied
    return clf.to(next(encoder.parameters()).device)


@torch.no_grad()
def classify_accuracy(clf: nn.Module, rows: Sequence[dict], tok: PreTrainedTokenizerBase,
                      batch_size: int = 100) -> float:
    """Share of ``rows`` (reviews) whose sentiment ``clf`` gets right."""
    clf.eval()
    device = next(clf.parameters()).device
    enc, labels = _encode_reviews(rows, tok)
    right = 0
    for start in range(0, len(rows), batch_size):
        b = _classify_batch(enc[start:start + batch_size], labels[start:start + batch_size], tok)
        logits = clf(input_ids=b["input_ids"].to(device), attention_mask=b["attention_mask"].to(device)).logits
        right += int((logits.argmax(-1).cpu() == b["labels"]).sum())
    return right / len(rows)


# ================================================================================================
# 3. Homonyms: one input vector, different vectors in context
# ================================================================================================
HOMONYMS = sorted(tinyworld.GLOSSARY)   # common words the Lanternwrights' Guild gives other meanings ("bank", ...)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def sense_sentences(word: str, n: int = 20, split: str = "train", seed: int = 0) -> dict[str, list[str]]:
    """Up to ``n`` sentences using ``word`` lower-case (not as the first word), in its ordinary sense
    (the ``pretrain`` family) and in the Lanternwrights' Guild's sense (the ``domain`` family)."""
    pattern = re.compile(rf"(?<![A-Za-z]){word}(?![A-Za-z])")
    out = {}
    for sense, family in (("ordinary", "pretrain"), ("guild", "domain")):
        found = sorted({s for row in tinyworld.rows(family, split) for s in _SENTENCE.split(row["text"])
                        if pattern.search(s) and s[:len(word)].lower() != word})  # the word not first
        random.Random(seed).shuffle(found)
        out[sense] = found[:n]
    return out


def _word_position(tok: PreTrainedTokenizerBase, text: str, word: str) -> tuple[list[int], int]:
    """Token ids of ``text`` and the index of the token where ``word`` (first occurrence) starts."""
    enc = tok(text, return_offsets_mapping=True, add_special_tokens=False)
    char = re.search(rf"(?<![A-Za-z]){word}(?![A-Za-z])", text).start()
    for i, (a, b) in enumerate(enc["offset_mapping"]):
        if a <= char < b or (a == char - 1 and text[a] == " "):
            return enc["input_ids"], i
    raise ValueError(f"no token starts {word!r} in {text!r}")


@torch.no_grad()
def word_vectors(model: GPT, tok: PreTrainedTokenizerBase, sentences: Sequence[str],
                 word: str) -> dict[str, torch.Tensor]:
    """The vector of ``word`` in each sentence, stage by stage, each (N, C):

    - ``"embedding"``: the token embedding ``wte``, the same vector in every sentence;
    - ``"embedding + position"``: ``wte + wpe``, what block 1 actually receives (it differs between
      sentences only through the word's position);
    - ``"block 1, attention off"``: block 1 with its attention output zeroed (the MLP still runs): the
      control that tells what attention adds beyond position and the per-token MLP;
    - ``"block 1"``, ..., ``"block L"``: after each block.
    """
    model.eval()
    device = next(model.parameters()).device
    stages: dict[str, list[torch.Tensor]] = {}
    for text in sentences:
        ids, pos = _word_position(tok, text, word)
        x = torch.tensor([ids], device=device)
        h = model.wte(x) + model.wpe(torch.arange(len(ids), device=device))          # (1, T, C)
        first = model.h[0]
        no_attention = h + first.mlp(first.ln_2(h))                                   # block 1 minus attention
        seen = {"embedding": model.wte(x), "embedding + position": h, "block 1, attention off": no_attention}
        for i, block in enumerate(model.h, start=1):
            h = block(h)
            seen[f"block {i}"] = h
        for name, vectors in seen.items():
            stages.setdefault(name, []).append(vectors[0, pos])
    return {name: torch.stack(v).float().cpu() for name, v in stages.items()}


def sense_probe(a: torch.Tensor, b: torch.Tensor) -> float:
    """Leave-one-out nearest-centroid accuracy at telling ``a`` (N, C) from ``b`` (M, C) (cosine).
    Identical vectors give 0.5: nothing tells the senses apart."""
    x = F.normalize(torch.cat([a, b]).double(), dim=-1)
    y = torch.tensor([0] * len(a) + [1] * len(b))
    right = 0.0
    for i in range(len(x)):
        keep = torch.arange(len(x)) != i
        centroids = torch.stack([x[keep & (y == c)].mean(0) for c in (0, 1)])   # (2, C)
        sims = centroids @ x[i]
        right += 0.5 if torch.isclose(sims[0], sims[1], atol=1e-9) else float(int(sims.argmax()) == int(y[i]))
    return right / len(x)


# ================================================================================================
# 4. Inside an encoder-decoder: translation step by step
# ================================================================================================
@dataclass
class Step:
    """One decoder step: the token chosen and the few most likely candidates."""
    token: str
    prob: float
    candidates: list[tuple[str, float]]


@torch.no_grad()
def translate_step_by_step(model: T5ForConditionalGeneration, tok: PreTrainedTokenizerBase, text: str,
                           max_new_tokens: int = 40, verbose: bool = True) -> tuple[list[int], list[Step]]:
    """Greedy translation with every stage written out (and printed with its shapes when ``verbose``):
    tokenize -> embed -> (T5: no positions added; relative position biases enter the attention) ->
    encode -> decode one token at a time -> softmax -> detokenize. Returns the generated ids (as
    ``model.generate`` would, decoder start token first) and the steps."""
    say = print if verbose else (lambda *a, **k: None)
    model.eval()
    device = next(model.parameters()).device
    # 1. tokenize
    ids = tok(text + tok.eos_token, return_tensors="pt", add_special_tokens=False)["input_ids"].to(device)  # (1, S)
    say(f"1. tokenize      {tuple(ids.shape)}  {tok.convert_ids_to_tokens(ids[0])}")
    # 2. embeddings: one learned vector per token id (shared by encoder, decoder and output layer)
    emb = model.shared(ids)                                                                  # (1, S, d)
    say(f"2. embeddings    {tuple(emb.shape)}  (vocabulary {model.config.vocab_size} x d_model {model.config.d_model})")
    # 3. positions: T5 adds nothing here; a learned bias per (head, relative distance bucket) is added
    #    to the attention scores of the first layer and reused by the others
    rel = model.encoder.block[0].layer[0].SelfAttention
    bias = rel.compute_bias(ids.shape[1], ids.shape[1], device=device)                        # (1, H, S, S)
    say(f"3. positions     {tuple(bias.shape)}  relative position bias added to q·kᵀ in every encoder layer "
        f"({rel.relative_attention_num_buckets} distance buckets x {rel.n_heads} heads); "
        "nothing added to the embeddings")
    # 4. encoder: bidirectional self-attention over the whole source
    mask = torch.ones_like(ids)
    enc = model.encoder(inputs_embeds=emb, attention_mask=mask).last_hidden_state             # (1, S, d)
    say(f"4. encoder       {tuple(enc.shape)}  {len(model.encoder.block)} blocks, one vector per source token")
    # 5. decoder loop: causal self-attention over the output so far + cross-attention to the encoder
    out = torch.tensor([[model.config.decoder_start_token_id]], device=device)                 # (1, 1)
    scale = model.config.d_model ** -0.5 if getattr(model.config, "scale_decoder_outputs",
                                                     model.config.tie_word_embeddings) else 1.0
    steps: list[Step] = []
    say(f"5. decoder loop  starts from {tok.convert_ids_to_tokens([int(out[0, 0])])[0]!r}; each step re-reads "
        "the tokens so far (no cache, for clarity)")
    for t in range(max_new_tokens):
        h = model.decoder(input_ids=out, encoder_hidden_states=enc, encoder_attention_mask=mask).last_hidden_state
        logits = model.lm_head(h[:, -1] * scale)                                              # (1, V)
        probs = logits.softmax(-1)                                                            # 6. softmax
        top = probs[0].topk(3)
        nxt = top.indices[:1]                                                                 # greedy
        step = Step(tok.decode(nxt), float(top.values[0]),
                    [(tok.decode([int(i)]), float(p)) for p, i in zip(top.values, top.indices)])
        steps.append(step)
        say(f"   step {t:2d}: decoder {tuple(h.shape)} -> logits {tuple(logits.shape)} -> softmax -> "
            f"{step.token!r} p={step.prob:.2f}   (then "
            + ", ".join(f"{c!r} {p:.2f}" for c, p in step.candidates[1:]) + ")")
        out = torch.cat([out, nxt[None]], dim=1)
        if int(nxt) == tok.eos_token_id:
            break
    say(f"7. detokenize    {tok.decode(out[0], skip_special_tokens=True)!r}")
    return out[0].tolist(), steps


@torch.no_grad()
def greedy_translations(model: T5ForConditionalGeneration, tok: PreTrainedTokenizerBase, texts: Sequence[str],
                        prefix: str = "", max_new_tokens: int = 48, batch_size: int = 50) -> list[str]:
    """Batched greedy ``model.generate`` for a seq2seq model."""
    model.eval()
    device = next(model.parameters()).device
    out = []
    for start in range(0, len(texts), batch_size):
        enc = tok([prefix + t + tok.eos_token for t in texts[start:start + batch_size]], return_tensors="pt",
                  padding=True, add_special_tokens=False).to(device)
        gen = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, num_beams=1)
        out += tok.batch_decode(gen, skip_special_tokens=True)
    return out


def unigram_loss(train_chunks: Sequence[Sequence[int]], eval_chunks: Sequence[Sequence[int]], vocab_size: int,
                 min_id: int = 0) -> float:
    """Cross-entropy on ``eval_chunks`` of the best context-free guess: token frequencies of ``train_chunks``
    (add-one smoothed), over tokens with id >= ``min_id``. A model at this loss ignores its context."""
    counts = torch.ones(vocab_size)
    counts += torch.bincount(torch.tensor([i for c in train_chunks for i in c]), minlength=vocab_size)[:vocab_size]
    logp = (counts / counts.sum()).log()
    ids = torch.tensor([i for c in eval_chunks for i in c if i >= min_id])
    return float(-logp[ids].mean())


def homonym_probe(model: GPT, tok: PreTrainedTokenizerBase, words_: Sequence[str] = HOMONYMS, n: int = 20,
                  min_each: int = 6) -> list[dict]:
    """Per homonym with at least ``min_each`` sentences of each sense: ``sense_probe`` accuracy of its vector
    at each stage of ``word_vectors`` (the embedding, embedding + position, block 1 with its attention off,
    after each block)."""
    rows = []
    for w in words_:
        s = sense_sentences(w, n)
        if min(len(s["ordinary"]), len(s["guild"])) < min_each:
            continue
        ordinary, guild = word_vectors(model, tok, s["ordinary"], w), word_vectors(model, tok, s["guild"], w)
        row = {"word": w, "sentences": f"{len(s['ordinary'])} + {len(s['guild'])}"}
        row.update({stage: sense_probe(ordinary[stage], guild[stage]) for stage in ordinary})
        rows.append(row)
    return rows


@torch.no_grad()
def t5_position_bias(model: T5ForConditionalGeneration, span: int = 24) -> torch.Tensor:
    """(H, 2·span - 1): the encoder's learned bias per head for key position - query position in
    -(span-1)..(span-1) — what T5 adds to q·kᵀ instead of adding position vectors to the embeddings."""
    rel = model.encoder.block[0].layer[0].SelfAttention
    bias = rel.compute_bias(2 * span - 1, 2 * span - 1, device=next(model.parameters()).device)[0]   # (H, Q, K)
    return bias[:, span - 1, :].float().cpu()                                   # query in the middle


# ================================================================================================
# 5. Sequential against parallel: training-step time as the sequence grows
# ================================================================================================
def train_step_ms(model: nn.Module, seq_lens: Sequence[int], vocab_size: int, n_classes: int, batch_size: int = 32,
                  repeats: int = 5, seed: int = 0) -> dict[int, float]:
    """Median wall time (ms) of one training step (forward, backward, AdamW) of ``model`` on random token
    sequences of each length in ``seq_lens``, after two untimed warm-up steps per length."""
    device = next(model.parameters()).device
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    g = torch.Generator().manual_seed(seed)
    model.train()
    out = {}
    for T in seq_lens:
        ids = torch.randint(0, vocab_size, (batch_size, T), generator=g).to(device)        # (B, T)
        labels = torch.randint(0, n_classes, (batch_size,), generator=g).to(device)       # (B,)
        times = []
        for i in range(repeats + 2):
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            model(ids, labels=labels).loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            if device.type == "cuda":
                torch.cuda.synchronize()
            if i >= 2:                                   # the first steps allocate and pick kernels
                times.append(time.perf_counter() - start)
        out[int(T)] = 1000 * statistics.median(times)
    return out
