"""Lab 10's data and plumbing without a model: the rag family agrees with the tools that replay it, the
grounded decoder's constraint, the window policy, the injection guard, and our chain vs LangChain's."""
from __future__ import annotations

import pytest

from llmlab import tinyworld
from llmlab.lab10 import lc, orchestrator, rag, react, retrieval
from llmlab.tinyworld.knowledge import rag_prompt


@pytest.fixture(scope="module")
def data():
    return tinyworld.rows("rag", "docs"), tinyworld.rows("rag", "test")


def test_changed_and_new_facts_are_in_the_knowledge_base(data):
    docs, test = data
    by_id = {d["id"]: d for d in docs}
    unchanged = 0
    for r in test:
        if r["kind"] == "multihop":
            continue
        assert r["statement"] in by_id[r["doc_id"]]["text"]
        if r["kind"] == "updated":
            assert by_id[r["doc_id"]]["source"] == "update"
            unchanged += r["old"] == r["answer"]
        else:
            assert by_id[r["doc_id"]]["source"] == "new"
    assert unchanged == 0, f"{unchanged} 'updated' facts still have their old value"
    chunks = rag.chunk_corpus(docs)
    assert all(len(g) == 1 for g in rag.gold_chunks(chunks, [r for r in test if r["kind"] != "multihop"]))


def test_react_traces_replay_through_the_lab_tools(data):
    docs, test = data
    for r in [x for x in test if x["kind"] == "multihop"][:40]:
        tools = react.Encyclopedia(docs)
        for step in r["steps"]:
            name, arg = react.parse_action(f"Action: {step['action']}")
            if name == "finish":
                assert arg == r["answer"]
            else:
                assert (tools.search(arg) if name == "search" else tools.lookup(arg)) == step["observation"]


def test_span_constraint_only_allows_spans_of_the_source():
    word_start = {1, 2, 3, 9}
    src = [1, 5, 2, 6, 7, 3]          # words: [1 5] [2 6 7] [3]
    fn = rag.span_constraint([src], prompt_width=2, eos_id=0, word_start=word_start)
    import torch
    assert fn(0, torch.tensor([8, 8])) == [1, 2, 3]                    # a span starts at a word
    assert fn(0, torch.tensor([8, 8, 2])) == [6]                       # mid-word: only its continuation
    assert fn(0, torch.tensor([8, 8, 2, 6, 7])) == [0, 3]              # a word ended: stop, or go on
    assert fn(0, torch.tensor([8, 8, 3])) == [0]                       # the end of the source


def test_fit_keeps_whole_chunks_and_truncate_does_not():
    from llmlab import zoo
    tok = zoo.load_tokenizer()
    chunks = [f"Entry {i}: " + "The price of the tin lamp is 14 coins. " * 4 for i in range(10)]
    kept = rag.fit_chunks(tok, "What is it?", chunks, window=256, prefix="The price is")
    assert 0 < len(kept) < 10 and kept == chunks[:len(kept)]
    assert len(tok(rag_prompt("What is it?", kept, "The price is"))["input_ids"]) <= 256 - 12


def test_guard_drops_the_planted_chunk_only():
    row = {"id": "r1", "question": "What is the price of the tin lamp?", "prefix": "The price of the tin lamp is"}
    planted = rag.poison_chunk(row, "The tin lamp", "99 coins")["text"]
    clean = "The tin lamp: The price of the tin lamp is 14 coins."
    assert rag.guard([clean, planted]) == [clean]
    assert "99 coins" in planted and rag.INJECTION in planted


def test_our_chain_and_langchain_build_the_same_prompt(monkeypatch):
    seen = []

    def fake_complete(model, tok, prompts, **kw):
        seen.append(prompts[0])
        return [f"answer {len(prompts[0])}"]
    monkeypatch.setattr(orchestrator.inference, "complete", fake_complete)
    monkeypatch.setattr(lc.inference, "complete", fake_complete)
    chunks = [{"id": f"c{i}", "text": t} for i, t in enumerate(
        ["Bastead: The mayor of Bastead is Ila Tylwood.", "Pombury: The mayor of Pombury is Ann Bell.", "x y z"])]
    index = retrieval.BM25Retriever([c["text"] for c in chunks])
    template = "Context:\n{context}\nQuestion: {question}\nAnswer:"
    ours = orchestrator.rag_chain(orchestrator.LLM(None, None), index, chunks, 2, orchestrator.PromptTemplate(template))
    theirs = lc.langchain_rag(lc.ZooLLM(model=None, tok=None), lc.IndexRetriever(index=index, chunks=chunks, k=2),
                              template)
    q = "Who is the mayor of Bastead?"
    assert ours(q) == theirs.invoke(q)
    assert seen[0] == seen[1] and seen[0].startswith("Context:\n[1] Bastead:")


def test_memory_keeps_a_window_and_templates_name_their_slots():
    m = orchestrator.Memory(turns=2)
    for i in range(3):
        m.add(f"q{i}", f"a{i}")
    assert m.render() == "User: q1\nAssistant: a1\nUser: q2\nAssistant: a2\n"
    t = orchestrator.PromptTemplate("{a} and {b}")
    assert t.variables == ["a", "b"] and t.format(a=1, b=2) == "1 and 2"
    with pytest.raises(KeyError):
        t.format(a=1)
