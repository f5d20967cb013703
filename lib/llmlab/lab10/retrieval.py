"""Retrieval: BM25 (sparse, with the ``bm25s`` library), a contrastively trained dense encoder in a
FAISS index, their hybrid (reciprocal-rank fusion), and the metrics recall@k and MRR.

A retriever here maps a list of queries to ranked chunk indices: ``search(queries, k) -> list[list[int]]``.
"""
from __future__ import annotations

import math
import random
import re
from collections import Counter
from typing import Protocol

import logging

import bm25s
import faiss
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

logging.getLogger("bm25s").setLevel(logging.WARNING)   # no "Building index" lines in the notebook
STOPWORDS = frozenset("a an the is are was were of in on at to for by and or what which who whom when where "
                      "how does do did its it his her their this that with from as be".split())


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens without stop words: what BM25 counts."""
    return [w for w in re.findall(r"[a-z0-9']+", text.lower()) if w not in STOPWORDS]


class Retriever(Protocol):
    def search(self, queries: list[str], k: int) -> list[list[int]]: ...


# ---- BM25 ---------------------------------------------------------------------------------------------
def bm25_scores(query: list[str], docs: list[list[str]], k1: float = 1.5, b: float = 0.75) -> list[float]:
    """Okapi BM25 (Lucene's variant) of one tokenized query against every tokenized document:

        score(d) = sum over query terms t of  idf(t) * tf(t,d) * (k1 + 1) / (tf(t,d) + k1 * (1 - b + b * |d| / avgdl))
        idf(t)   = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))

    (The lab's exercise re-implements this. bm25s computes the same numbers divided by (k1 + 1), a
    constant Lucene also leaves out since it does not change the ranking.)
    """
    n = len(docs)
    avgdl = sum(len(d) for d in docs) / n
    df = Counter(t for d in docs for t in set(d))
    tfs = [Counter(d) for d in docs]
    out = []
    for d, tf in zip(docs, tfs):
        s = 0.0
        for t in query:
            if tf[t]:
                idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                s += idf * tf[t] * (k1 + 1) / (tf[t] + k1 * (1 - b + b * len(d) / avgdl))
        out.append(s)
    return out


class BM25Retriever:
    """Sparse retrieval with bm25s (Lucene BM25 on a scipy sparse matrix)."""

    def __init__(self, texts: list[str], k1: float = 1.5, b: float = 0.75):
        self.index = bm25s.BM25(k1=k1, b=b, method="lucene")
        self.index.index([tokenize(t) for t in texts], show_progress=False)
        self.n = len(texts)

    def scores(self, query: str) -> np.ndarray:   # (N,)
        return self.index.get_scores(tokenize(query))

    def search(self, queries: list[str], k: int) -> list[list[int]]:
        out = []
        for q in queries:
            s = self.scores(q)
            out.append([int(i) for i in np.argsort(-s, kind="stable")[:k]])
        return out


# ---- a dense retriever: a small encoder trained contrastively -----------------------------------------
class DenseEncoder(nn.Module):
    """Mean-pooled states of a zoo transformer, projected and L2-normalised: one vector per text.
    Untrained, such vectors barely separate passages; contrastive training on (question, passage)
    pairs makes a question land next to the passage that answers it."""

    def __init__(self, transformer: nn.Module, width: int, dim: int = 128):
        super().__init__()
        self.transformer = transformer
        self.proj = nn.Linear(width, dim)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        h = self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state  # (B, T, C)
        m = attention_mask.unsqueeze(-1).to(h.dtype)                                              # (B, T, 1)
        pooled = (h * m).sum(1) / m.sum(1).clamp(min=1)                                          # (B, C)
        return F.normalize(self.proj(pooled), dim=-1)                                           # (B, D)


def encode(encoder: DenseEncoder, tok, texts: list[str], batch_size: int = 64, max_length: int = 96) -> np.ndarray:
    encoder.eval()
    out = []
    tok.padding_side = "right"
    with torch.no_grad():
        for i in range(0, len(texts), batch_size):
            enc = tok(texts[i:i + batch_size], return_tensors="pt", padding=True, truncation=True,
                      max_length=max_length)
            out.append(encoder(enc["input_ids"], enc["attention_mask"]).numpy())
    return np.concatenate(out).astype("float32")   # (N, D)


def contrastive_loss(q: torch.Tensor, p: torch.Tensor, temperature: float = 0.05) -> torch.Tensor:
    """InfoNCE with in-batch negatives: row i of ``q`` (B, D) should pick row i of ``p`` (B, D)."""
    logits = q @ p.T / temperature                     # (B, B)
    return F.cross_entropy(logits, torch.arange(len(q)))


def train_dense(encoder: DenseEncoder, tok, pairs: list[tuple[str, str]], steps: int, batch_size: int = 32,
                lr: float = 1e-3, seed: int = 0, max_length: int = 96) -> list[float]:
    """Contrastive training on (question, gold passage) pairs; returns the loss per step."""
    rng = random.Random(seed)
    torch.manual_seed(seed)
    opt = torch.optim.AdamW(encoder.parameters(), lr=lr)
    tok.padding_side = "right"
    losses = []
    encoder.train()
    for _ in range(steps):
        batch = rng.sample(pairs, batch_size)
        # one passage per question: two questions about one passage would make a false negative
        seen, qs, ps = set(), [], []
        for q, p in batch:
            if p not in seen:
                seen.add(p)
                qs.append(q)
                ps.append(p)
        eq = tok(qs, return_tensors="pt", padding=True, truncation=True, max_length=max_length)
        ep = tok(ps, return_tensors="pt", padding=True, truncation=True, max_length=max_length)
        loss = contrastive_loss(encoder(eq["input_ids"], eq["attention_mask"]),
                                encoder(ep["input_ids"], ep["attention_mask"]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    encoder.eval()
    return losses


class DenseRetriever:
    """Exact inner-product search in a FAISS index over normalised vectors (= cosine similarity)."""

    def __init__(self, encoder: DenseEncoder, tok, texts: list[str]):
        self.encoder, self.tok = encoder, tok
        vecs = encode(encoder, tok, texts)
        self.index = faiss.IndexFlatIP(vecs.shape[1])
        self.index.add(vecs)

    def search(self, queries: list[str], k: int) -> list[list[int]]:
        _, ids = self.index.search(encode(self.encoder, self.tok, queries), k)
        return [[int(i) for i in row] for row in ids]


class HybridRetriever:
    """Reciprocal-rank fusion: score(d) = sum over retrievers of 1 / (c + rank(d)); no score scales to tune."""

    def __init__(self, *retrievers: Retriever, depth: int = 50, c: int = 60):
        self.retrievers, self.depth, self.c = retrievers, depth, c

    def search(self, queries: list[str], k: int) -> list[list[int]]:
        runs = [r.search(queries, self.depth) for r in self.retrievers]
        out = []
        for qi in range(len(queries)):
            score: dict[int, float] = {}
            for run in runs:
                for rank, i in enumerate(run[qi]):
                    score[i] = score.get(i, 0.0) + 1.0 / (self.c + rank + 1)
            out.append(sorted(score, key=lambda i: -score[i])[:k])
        return out


# ---- metrics ------------------------------------------------------------------------------------------
def recall_at_k(ranked: list[list[int]], relevant: list[set[int]], k: int) -> float:
    """Per query, the share of its relevant items that are in its top k; averaged over queries."""
    return sum(len(set(r[:k]) & rel) / max(1, len(rel)) for r, rel in zip(ranked, relevant)) / len(ranked)


def mrr(ranked: list[list[int]], relevant: list[set[int]]) -> float:
    """Mean reciprocal rank of the first relevant item (0 when none is retrieved)."""
    total = 0.0
    for r, rel in zip(ranked, relevant):
        total += next((1.0 / (i + 1) for i, x in enumerate(r) if x in rel), 0.0)
    return total / len(ranked)
