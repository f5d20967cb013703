"""llmlab.lab02.architectures: the long-range task, the three objectives' batches, the tiny models, the
step-by-step translation (against model.generate) and the homonym probe."""
from __future__ import annotations

import random

import pytest
import torch

from llmlab.lab02 import architectures as A
from llmlab import tokenizer as bpe
from llmlab.train import IGNORE

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TEXTS = ["Pamen went to the bank in Tickwell to borrow money for a new roof.",
         "The wick drew ten gallons of spirit from the north bank before the strike.",
         "They sat on the grassy bank of the river and watched the ducks.",
         "A brown bear was seen in the woods near Tickwell."] * 20


@pytest.fixture(scope="module")
def tok():
    """A small BPE with the course's specials (<pad>, <|endoftext|>, <mask>, <extra_id_*>), trained here."""
    return bpe.train_bpe(TEXTS, vocab_size=300, model_max_length=128)


@pytest.fixture(scope="module")
def task():
    return A.LongRange(max_docs=200)


# ---- long-range task --------------------------------------------------------------------------
def test_long_range_batch_puts_the_cue_distance_words_before_the_query(task):
    inverse = {i: w for w, i in task.vocab.items()}
    for d in (1, 5, 40):
        b = task.batch(d, 16, random.Random(d))
        assert b["input_ids"].shape == (16, d + 4) and b["labels"].shape == (16,)
        for row, label in zip(b["input_ids"].tolist(), b["labels"].tolist()):
            words = [inverse[i] for i in row]
            assert words[-1] == A.QUERY and words[3] == A.CUES[label]
            assert len(words) - 1 - 3 == d                              # query sits d words after the cue
            assert not set(words[:3] + words[4:-1]) & set(A.CUES)       # the cue is the only evidence


def test_long_range_held_out_filler_is_separate(task):
    assert task.filler and task.test_filler
    b = task.batch(30, 8, random.Random(0), held_out=True)
    stream = " ".join(map(str, task.test_filler))
    for row in b["input_ids"].tolist():
        assert " ".join(map(str, row[4:-1])) in stream
    with pytest.raises(ValueError, match="distance must be >= 1"):
        task.batch(0, 2, random.Random(0))


def test_classifiers_read_the_cue(task):
    torch.manual_seed(0)
    models = [A.RNNClassifier(len(task.vocab), task.n_classes, kind="rnn"),
              A.RNNClassifier(len(task.vocab), task.n_classes, kind="lstm"),
              A.TransformerClassifier(len(task.vocab), task.n_classes, block_size=20)]
    b = task.batch(6, 4, random.Random(1))
    other = b["input_ids"].clone()
    other[:, 3] = task.vocab[A.CUES[0]] if b["input_ids"][0, 3] != task.vocab[A.CUES[0]] else task.vocab[A.CUES[1]]
    for m in models:
        out = m(**b)
        assert out.logits.shape == (4, task.n_classes) and out.loss.ndim == 0
        with torch.no_grad():   # the answer depends on the cue word, 6 positions back
            assert not torch.allclose(m(b["input_ids"]).logits[0], m(other).logits[0])
    with pytest.raises(ValueError, match="'rnn' or 'lstm'"):
        A.RNNClassifier(10, 2, kind="gru")


def test_transformer_learns_the_long_range_task_fast(task):
    """A few dozen steps at distance 20 already beat chance by far (the lab's claim, in small)."""
    from llmlab.train import train
    torch.manual_seed(0)
    m = A.TransformerClassifier(len(task.vocab), task.n_classes, block_size=24)
    train(m, A.long_range_batcher(task, [20], 32), 120, lr=3e-3, warmup=10, progress=False)
    acc = A.accuracy_by_distance(m, task, [20], n=128)[20]
    assert acc > 0.5, acc


# ---- objectives ---------------------------------------------------------------------------------
def test_mlm_batch_masks_regular_tokens_80_10_10(tok):
    ids = torch.randint(A._first_regular_id(tok), len(tok), (64, 128))
    ids[:, -5:] = tok.pad_token_id
    b = A.mlm_batch(ids, tok, p=0.15, gen=torch.Generator().manual_seed(0))
    picked = b["labels"] != IGNORE
    assert not picked[:, -5:].any()                                     # padding never picked
    assert abs(picked.float()[:, :-5].mean().item() - 0.15) < 0.01
    torch.testing.assert_close(b["labels"][picked], ids[picked])
    assert torch.equal(b["input_ids"][~picked], ids[~picked])
    masked = (b["input_ids"] == tok.mask_token_id)[picked].float().mean().item()
    kept = (b["input_ids"] == ids)[picked].float().mean().item()
    assert abs(masked - 0.8) < 0.03 and abs(kept - 0.1) < 0.03          # the rest (~10%) random tokens
    assert torch.equal(b["attention_mask"], (ids != tok.pad_token_id).long())


def test_span_corruption_hides_spans_behind_ordered_sentinels(tok):
    ids = tok(TEXTS[0] + " " + TEXTS[1], add_special_tokens=False)["input_ids"]
    for seed in range(20):
        src, tgt = A.span_corruption(ids, tok, gen=random.Random(seed))
        assert src[-1] == tgt[-1] == tok.eos_token_id
        sentinels = [i for i in src if tok.convert_ids_to_tokens(i).startswith("<extra_id_")]
        assert sentinels == [tok.convert_tokens_to_ids(f"<extra_id_{k}>") for k in range(len(sentinels))]
        # putting the spans back where their sentinels are gives the original text
        spans, current = {}, None
        for i in tgt[:-1]:
            if i in sentinels:
                current = i
                spans[current] = []
            else:
                spans[current].append(i)
        rebuilt = [t for i in src[:-1] for t in (spans[i] if i in spans else [i])]
        assert rebuilt == ids
        hidden = sum(len(v) for v in spans.values())
        assert hidden == round(len(ids) * 0.15)


def test_clm_batch_and_gpt_loss_is_next_token_cross_entropy(tok):
    model = A.tiny_decoder(tok, n_embd=16, n_layer=1, n_head=2, max_len=32).eval()
    ids = torch.randint(A._first_regular_id(tok), len(tok), (2, 10))
    ids[1, -3:] = tok.pad_token_id
    b = A.clm_batch(ids, tok)
    assert (b["labels"][1, -3:] == IGNORE).all() and torch.equal(b["labels"][0], ids[0])
    out = model(**b)
    logits, targets = out.logits[:, :-1], b["labels"][:, 1:]
    want = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1),
                                             ignore_index=IGNORE)
    torch.testing.assert_close(out.loss, want)


@pytest.mark.parametrize("kind", A.OBJECTIVES)
def test_each_tiny_model_trains_on_its_objective(tok, kind):
    stream = [i for t in TEXTS for i in tok(t, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]]
    chunks = [stream[i:i + 16] for i in range(0, len(stream) - 16, 16)]
    model = A.TINY[kind](tok, n_embd=32, n_layer=1, n_head=2)
    before = A.objective_eval(model, kind, chunks[:16], tok)
    from llmlab.train import train
    train(model, A.objective_batcher(kind, chunks, tok, 16), 60, lr=3e-3, warmup=5, progress=False)
    after = A.objective_eval(model, kind, chunks[:16], tok)
    assert after["loss"] < before["loss"] - 1.0 and 0.0 <= after["accuracy"] <= 1.0


def test_objective_batch_rejects_unknown_kind(tok):
    with pytest.raises(ValueError, match="unknown objective"):
        A.objective_batch("nsp", [[5, 6, 7]], tok)


def test_show_objectives_names_the_three_families(tok):
    shown = A.show_objectives(tok, TEXTS[0])
    assert list(shown) == ["encoder-only, masked LM (BERT)", "decoder-only, causal LM (GPT)",
                           "encoder-decoder, span corruption (T5)"]
    assert "<mask>" in shown["encoder-only, masked LM (BERT)"][0]
    assert "<extra_id_0>" in shown["encoder-decoder, span corruption (T5)"][0]


def test_classifier_from_copies_the_encoder(tok):
    enc = A.tiny_encoder(tok, n_embd=16, n_layer=1, n_head=2)
    clf = A.classifier_from(enc)
    for name, p in enc.bert.state_dict().items():
        torch.testing.assert_close(clf.bert.state_dict()[name], p)
    rows = [{"text": "lovely", "label": "positive"}, {"text": "awful", "label": "negative"}] * 3
    assert 0.0 <= A.classify_accuracy(clf, rows, tok) <= 1.0
    b = A.review_batcher(rows, tok, 4)(0)
    assert b["input_ids"][:, 0].eq(tok.eos_token_id).all() and b["labels"].shape == (4,)


def test_unigram_loss_is_the_entropy_of_token_frequencies():
    chunks = [[5, 5, 6, 7]] * 100
    loss = A.unigram_loss(chunks, [[5, 6, 7, 5]], vocab_size=8, min_id=4)
    counts = torch.tensor([1, 1, 1, 1, 1, 201, 101, 101], dtype=torch.float64)
    p = counts / counts.sum()
    want = -(2 * p[5].log() + p[6].log() + p[7].log()) / 4
    assert abs(loss - float(want)) < 1e-5


# ---- encoder-decoder, step by step ------------------------------------------------------------------
def test_translate_step_by_step_equals_generate(tok, capsys):
    model = A.tiny_encoder_decoder(tok, n_embd=32, n_layer=2, n_head=2).eval()
    ids, steps = A.translate_step_by_step(model, tok, TEXTS[0], max_new_tokens=12)
    enc = tok(TEXTS[0] + tok.eos_token, return_tensors="pt", add_special_tokens=False)
    want = model.generate(**enc, max_new_tokens=12, do_sample=False, num_beams=1)[0].tolist()
    assert ids == want and len(steps) == len(ids) - 1
    out = capsys.readouterr().out
    for stage in ("1. tokenize", "2. embeddings", "3. positions", "4. encoder", "5. decoder loop", "7. detokenize"):
        assert stage in out
    assert (A.greedy_translations(model, tok, [TEXTS[0]], max_new_tokens=12)
            == [tok.decode(want, skip_special_tokens=True)])
    bias = A.t5_position_bias(model, span=8)
    assert bias.shape == (2, 15)


# ---- homonyms ------------------------------------------------------------------------------------
def test_sense_probe():
    a = torch.randn(1, 8).repeat(6, 1)
    assert A.sense_probe(a, a.clone()) == 0.5                            # identical vectors: a coin toss
    g = torch.Generator().manual_seed(0)
    left, right = torch.randn(6, 8, generator=g) + 5, torch.randn(6, 8, generator=g) - 5
    assert A.sense_probe(left, right) == 1.0


def test_word_vectors_embedding_layer_is_the_same_in_every_sentence(tok):
    model = A.tiny_decoder(tok, n_embd=16, n_layer=2, n_head=2).eval()
    sentences = [t for t in TEXTS[:3]]
    stages = A.word_vectors(model, tok, sentences, "bank")
    assert list(stages) == ["embedding", "embedding + position", "block 1, attention off", "block 1", "block 2"]
    assert all(v.shape == (3, 16) for v in stages.values())
    emb = stages["embedding"]
    assert torch.equal(emb[0], emb[1]) and torch.equal(emb[0], emb[2])
    assert not torch.allclose(stages["block 2"][0], stages["block 2"][1])       # context got in
    ids, pos = A._word_position(tok, sentences[1], "bank")
    assert tok.decode(ids[pos]).strip() == "bank"
    assert torch.allclose(stages["embedding + position"][1], (model.wte.weight[ids[pos]] + model.wpe.weight[pos]))


def test_word_vectors_attention_off_is_block_1_with_a_zero_attention_projection(tok):
    """The control equals the real block once the attention's output projection is zero (and differs before)."""
    model = A.tiny_decoder(tok, n_embd=16, n_layer=2, n_head=2).eval()
    before = A.word_vectors(model, tok, TEXTS[:3], "bank")
    assert not torch.allclose(before["block 1"], before["block 1, attention off"])
    with torch.no_grad():
        model.h[0].attn.c_proj.weight.zero_()
        model.h[0].attn.c_proj.bias.zero_()
    after = A.word_vectors(model, tok, TEXTS[:3], "bank")
    assert torch.allclose(after["block 1"], after["block 1, attention off"], atol=1e-6)


def test_sense_sentences_come_from_both_families():
    s = A.sense_sentences("bank", n=5)
    assert set(s) == {"ordinary", "guild"} and s["ordinary"] and s["guild"]
    assert all("bank" in x for x in s["ordinary"] + s["guild"])
    assert "bank" in A.HOMONYMS
