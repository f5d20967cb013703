"""Decoding strategies as logits transforms: the reference (solution) code for Lab 01.

A language model gives, for every row of a batch, one score (a *logit*) per vocabulary entry;
the next token is picked from those scores. Every strategy below is a small function
``logits (B, V) -> logits (B, V)`` that reshapes or masks the scores, followed by a pick:

    greedy      argmax                                   -> always the most likely token
    sample      softmax + torch.multinomial              -> "random" decoding
    temperature logits / t                               -> t < 1 sharpens, t > 1 flattens
    top_k       keep the k largest logits                -> cut the long tail at a fixed size
    top_p       keep the smallest set with mass >= p     -> cut the tail at a fixed probability
    repetition_penalty  push down tokens already seen    -> fewer loops

Each transform returns a new tensor (the input is never modified) and gives exactly what the
corresponding Hugging Face processor gives (``TemperatureLogitsWarper``, ``TopKLogitsWarper``,
``TopPLogitsWarper``, ``RepetitionPenaltyLogitsProcessor``); the package tests check that.
``as_processor`` plugs any such function (yours too) into ``model.generate``, and ``generate``
is a short decode loop that applies them in the order ``model.generate`` does.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, Iterable, Mapping, Sequence

import torch
from torch import Tensor
from transformers import LogitsProcessor, LogitsProcessorList

NEG_INF = float("-inf")

# ----------------------------------------------------------------------------------------------
# the transforms: logits (B, V) -> logits (B, V)


def temperature(logits: Tensor, t: float) -> Tensor:
    """Divide the logits by ``t``: t < 1 sharpens the distribution, t > 1 flattens it."""
    if not t > 0:
        raise ValueError(f"temperature must be > 0, got {t}. Temperature 0 is the limit of greedy "
                         "decoding: use `greedy(logits)` (or do_sample=False) instead.")
    return logits / t  # (B, V)


def top_k(logits: Tensor, k: int, filter_value: float = NEG_INF) -> Tensor:
    """Keep the ``k`` largest logits of each row; set the rest to ``filter_value``.

    Ties with the k-th largest value are all kept (the rule of HF's ``TopKLogitsWarper``), so a
    row can keep more than k tokens. ``k`` larger than the vocabulary keeps everything.
    """
    if k <= 0:
        raise ValueError(f"top-k needs k >= 1, got {k}")
    k = min(k, logits.size(-1))
    kth_largest = torch.topk(logits, k, dim=-1).values[..., -1:]  # (B, 1)
    return logits.masked_fill(logits < kth_largest, filter_value)  # (B, V)


def top_p(logits: Tensor, p: float, min_tokens_to_keep: int = 1, filter_value: float = NEG_INF) -> Tensor:
    """Nucleus sampling: keep the smallest set of most likely tokens whose probability reaches ``p``.

    The token that crosses ``p`` is kept: with probabilities (0.5, 0.3, 0.2) and p = 0.6 the first
    two tokens are kept (0.5 < 0.6 <= 0.8). Written like HF's ``TopPLogitsWarper`` (sort ascending
    and drop the least likely tokens while their total mass stays <= 1 - p) so that it agrees
    with it to the last bit, ties and exact crossings included.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"top-p needs 0 <= p <= 1, got {p}")
    sorted_logits, sorted_idx = torch.sort(logits, dim=-1, descending=False)  # (B, V) least likely first
    tail_mass = sorted_logits.softmax(dim=-1).cumsum(dim=-1)  # (B, V) mass of this token and all less likely
    sorted_remove = tail_mass <= (1 - p)  # (B, V) the tail we can drop and still keep mass >= p
    sorted_remove[..., -min_tokens_to_keep:] = False  # always keep the most likely token(s)
    remove = sorted_remove.scatter(-1, sorted_idx, sorted_remove)  # (B, V) back to vocabulary order
    return logits.masked_fill(remove, filter_value)  # (B, V)


def repetition_penalty(logits: Tensor, input_ids: Tensor, penalty: float) -> Tensor:
    """Make tokens that already occur in ``input_ids`` (B, T) less likely (CTRL, Keskar et al. 2019).

    A seen token's positive logit is divided by ``penalty``, a negative one multiplied by it (both
    lower it when penalty > 1), once per token however often it occurred. Equal to HF's
    ``RepetitionPenaltyLogitsProcessor``.
    """
    if not penalty > 0:
        raise ValueError(f"repetition penalty must be > 0, got {penalty}")
    seen = torch.gather(logits, -1, input_ids)  # (B, T) logits of the tokens in the context
    seen = torch.where(seen < 0, seen * penalty, seen / penalty)  # (B, T)
    return logits.scatter(-1, input_ids, seen)  # (B, V) a repeated id writes the same value twice


# ----------------------------------------------------------------------------------------------
# picking the next token: logits (B, V) -> ids (B,)


def greedy(logits: Tensor) -> Tensor:
    """The most likely token of each row (the first one on a tie, like ``torch.argmax``)."""
    return torch.argmax(logits, dim=-1)  # (B,)


def sample(logits: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Draw one token per row from softmax(logits); masked (-inf) tokens are never drawn."""
    probs = torch.softmax(logits, dim=-1)  # (B, V)
    if generator is not None and generator.device.type != probs.device.type:  # a CPU generator, logits on a GPU
        return torch.multinomial(probs.cpu(), num_samples=1, generator=generator).squeeze(-1).to(probs.device)
    return torch.multinomial(probs, num_samples=1, generator=generator).squeeze(-1)  # (B,)


# ----------------------------------------------------------------------------------------------
# plugging transforms into Hugging Face generate


class LogitsTransform(LogitsProcessor):
    """A ``transformers.LogitsProcessor`` that calls ``fn(logits, **kwargs)``.

    If ``fn`` has a parameter named ``input_ids`` (like ``repetition_penalty``), the ids generated
    so far are passed to it as well.
    """

    def __init__(self, fn: Callable[..., Tensor], **kwargs: Any):
        self.fn = fn
        self.kwargs = kwargs
        try:
            self.wants_ids = "input_ids" in inspect.signature(fn).parameters
        except (TypeError, ValueError):  # builtins without a signature
            self.wants_ids = False

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self.wants_ids:
            return self.fn(scores, input_ids=input_ids, **self.kwargs)
        return self.fn(scores, **self.kwargs)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"LogitsTransform({getattr(self.fn, '__name__', self.fn)}, {args})"


def as_processor(fn: Callable[..., Tensor], **kwargs: Any) -> LogitsTransform:
    """Wrap a transform for ``model.generate(..., logits_processor=LogitsProcessorList([...]))``.

    >>> as_processor(top_k, k=5)                 # doctest: +SKIP
    >>> as_processor(my_top_p, p=0.9)            # a student's function works the same way
    """
    return LogitsTransform(fn, **kwargs)


def processors(temperature: float | None = None, top_k: int | None = None, top_p: float | None = None,
               repetition_penalty: float | None = None, *,
               impl: Mapping[str, Callable[..., Tensor]] | None = None) -> LogitsProcessorList:
    """The transforms ``model.generate`` would apply for these settings, in its order.

    HF applies the repetition penalty first (also when decoding greedily), then, only when sampling,
    temperature, top-k and top-p. Settings that change nothing (None, temperature 1, top_k 0,
    top_p 1, penalty 1) are left out, as HF does. ``impl`` swaps in other functions by name, e.g.
    ``processors(top_k=5, impl={"top_k": my_top_k})``.
    """
    fns = {"temperature": globals()["temperature"], "top_k": globals()["top_k"],
           "top_p": globals()["top_p"], "repetition_penalty": globals()["repetition_penalty"]}
    fns.update(impl or {})
    out = LogitsProcessorList()
    if repetition_penalty is not None and repetition_penalty != 1.0:
        out.append(as_processor(fns["repetition_penalty"], penalty=repetition_penalty))
    if temperature is not None and temperature != 1.0:
        out.append(as_processor(fns["temperature"], t=temperature))
    if top_k is not None and top_k != 0:
        out.append(as_processor(fns["top_k"], k=top_k))
    if top_p is not None and top_p < 1.0:
        out.append(as_processor(fns["top_p"], p=top_p))
    return out


# ----------------------------------------------------------------------------------------------
# an explicit decode loop


@torch.no_grad()
def generate(model: torch.nn.Module, input_ids: Tensor, max_new_tokens: int, *, temperature: float = 1.0,
             top_k: int | None = None, top_p: float | None = None, repetition_penalty: float | None = None,
             do_sample: bool = True, generator: torch.Generator | None = None,
             eos_token_id: int | Sequence[int] | None = None, pad_token_id: int | None = None,
             attention_mask: Tensor | None = None,
             impl: Mapping[str, Callable[..., Tensor]] | None = None) -> Tensor:
    """Decode ``max_new_tokens`` tokens after ``input_ids`` (B, T); returns (B, T + new) like HF.

    One forward pass over the prompt, then one token at a time, reusing the attention cache
    (``past_key_values``). Each step: last position's logits -> repetition penalty -> (when
    sampling) temperature, top-k, top-p -> sample or argmax. A row that produced EOS is padded
    (``pad_token_id``, default the EOS id) and the loop ends when every row has. With the same
    seed this gives ``model.generate``'s tokens; ``generator=None`` draws from torch's global RNG
    as ``model.generate`` does. ``attention_mask`` (B, T) allows left-padded prompts. Like
    ``model.generate`` it leaves the model's mode alone: call ``model.eval()`` first.
    """
    device = input_ids.device
    steps = processors(repetition_penalty=repetition_penalty, impl=impl)
    if do_sample:
        steps.extend(processors(temperature=temperature, top_k=top_k, top_p=top_p, impl=impl))
    eos = torch.tensor([eos_token_id] if isinstance(eos_token_id, int) else list(eos_token_id or []),
                       dtype=torch.long, device=device)
    if pad_token_id is None and len(eos):
        pad_token_id = int(eos[0])

    B = input_ids.shape[0]
    if attention_mask is None:
        attention_mask = torch.ones_like(input_ids)
    # left padding: positions count real tokens only; penalties ignore pad ids (see below)
    position_ids = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)  # (B, T)
    first_real = input_ids.gather(-1, attention_mask.long().argmax(-1, keepdim=True))  # (B, 1)
    unfinished = torch.ones(B, dtype=torch.bool, device=device)

    # the attention cache (keys/values of earlier positions) is `past_key_values` in older
    # transformers and `cache` in newer ones
    cache_arg = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
    ids, past = input_ids, None
    model_in, pos_in = input_ids, position_ids
    for _ in range(max_new_tokens):
        out = model(input_ids=model_in, attention_mask=attention_mask, position_ids=pos_in,
                    use_cache=True, **{cache_arg: past})
        past = out[cache_arg]
        logits = out.logits[:, -1, :].float()  # (B, V) scores for the next token
        seen = torch.where(attention_mask.bool(), ids, first_real)  # (B, T') pads -> a real id of the row
        logits = steps(seen, logits)
        next_id = sample(logits, generator) if do_sample else greedy(logits)  # (B,)
        if len(eos):
            next_id = torch.where(unfinished, next_id, torch.full_like(next_id, pad_token_id))
        ids = torch.cat([ids, next_id[:, None]], dim=-1)  # (B, T + 1)
        if len(eos):
            unfinished &= ~torch.isin(next_id, eos)
            if not unfinished.any():
                break
        model_in = next_id[:, None]  # (B, 1): the cache holds everything before it
        pos_in = pos_in[:, -1:] + 1
        attention_mask = torch.cat([attention_mask, attention_mask.new_ones(B, 1)], dim=-1)
    return ids


# ----------------------------------------------------------------------------------------------
# diversity and repetition metrics


def _ngrams(tokens: Sequence[Any], n: int) -> list[tuple]:
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def _tokens(text_or_ids: str | Tensor | Iterable[Any]) -> list[Any]:
    if isinstance(text_or_ids, str):
        return text_or_ids.split()
    if isinstance(text_or_ids, Tensor):
        return text_or_ids.reshape(-1).tolist()
    return list(text_or_ids)


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Distinct n-grams / all n-grams over a set of texts (whitespace tokens; Li et al. 2016).

    1.0 means no n-gram repeats anywhere in the set; greedy decoding of many prompts scores low.
    Returns 0.0 when there is no n-gram at all.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    grams = [g for text in texts for g in _ngrams(_tokens(text), n)]
    return len(set(grams)) / len(grams) if grams else 0.0


def repeated_ngram_rate(text_or_ids: str | Tensor | Sequence[Any], n: int) -> float:
    """Fraction of a sequence's n-grams that already occurred earlier in the same sequence.

    A string is split on whitespace; a tensor or list is taken as token ids. A looping
    generation ("the cat the cat the cat") approaches 1.0; 0.0 when there is no n-gram.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    grams = _ngrams(_tokens(text_or_ids), n)
    seen: set[tuple] = set()
    repeats = 0
    for g in grams:
        repeats += g in seen
        seen.add(g)
    return repeats / len(grams) if grams else 0.0


# ----------------------------------------------------------------------------------------------
# helpers for the lab's explorer


def kept_mask(logits: Tensor, *, temperature: float = 1.0, top_k: int | None = None,
              top_p: float | None = None) -> Tensor:
    """Which tokens can still be sampled after temperature -> top-k -> top-p (HF's order).

    Works on (V,) or (B, V) logits; returns a bool tensor of the same shape.
    """
    x = logits.unsqueeze(0) if logits.dim() == 1 else logits
    for proc in processors(temperature=temperature, top_k=top_k, top_p=top_p):
        x = proc(None, x)  # type: ignore[arg-type]
    kept = x > NEG_INF
    return kept.squeeze(0) if logits.dim() == 1 else kept


def next_token_table(probs: Tensor, tokenizer: Any = None, n: int = 10,
                     kept: Tensor | None = None) -> list[dict[str, Any]]:
    """The ``n`` most likely next tokens as rows {rank, id, token, prob, kept} for one position.

    ``probs`` is (V,) (or (1, V)); ``kept`` an optional bool mask from ``kept_mask``. Without a
    tokenizer the token column shows the id.
    """
    probs = probs.detach().reshape(-1).float()
    values, ids = torch.topk(probs, min(n, probs.numel()))
    rows = []
    for rank, (p, i) in enumerate(zip(values.tolist(), ids.tolist()), start=1):
        token = tokenizer.decode([i]) if tokenizer is not None else str(i)
        rows.append({"rank": rank, "id": i, "token": token, "prob": p,
                     "kept": bool(kept.reshape(-1)[i]) if kept is not None else True})
    return rows


def format_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """Plain-text rendering of ``next_token_table`` rows (for print)."""
    lines = [f"{'#':>3}  {'token':<16} {'prob':>7}  kept"]
    for r in rows:
        bar = "█" * int(round(r["prob"] * 20))
        lines.append(f"{r['rank']:>3}  {r['token']!r:<16} {r['prob']:>7.4f}  {'yes' if r['kept'] else ' - '} {bar}")
    return "\n".join(lines)
