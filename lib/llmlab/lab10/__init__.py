"""Lab 10 — LLM-powered applications: retrieval (``retrieval``: BM25 with bm25s, a contrastively trained
dense encoder in FAISS, hybrid fusion, recall@k / MRR), retrieval-augmented answers, window fitting and
a poisoned document with its guard (``rag``), the ReAct loop and its tools (``react``), a small
orchestrator of prompt templates, memory, tools and chains (``orchestrator``), the same RAG chain in
LangChain (``lc``), chain of thought vs program-aided answers (``pal``), the interpreter's process
sandbox (``sandbox``), and the exercise checks (``checks``, ``pal_checks``). The data is TinyWorld's
``rag`` family (``llmlab.tinyworld.knowledge``); the model is the zoo's ``gpt-rag``. The PAL part uses
the ``word_problems`` family (``llmlab.tinyworld.word_problems``) and the zoo's ``gpt-pal``.
"""
