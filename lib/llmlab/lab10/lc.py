"""The same RAG chain with LangChain's own parts (``langchain-core``): the zoo model wrapped as a
LangChain ``LLM``, the BM25 index as a ``BaseRetriever``, a ``PromptTemplate`` and runnables composed
with ``|`` (LCEL). Everything runs offline: no API, no network.
"""
from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.language_models.llms import LLM
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import PromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda, RunnableParallel, RunnablePassthrough

from llmlab import inference


class ZooLLM(LLM):
    """A zoo model as a LangChain LLM: greedy decoding, one prompt per call."""
    model: Any
    tok: Any
    max_new_tokens: int = 12

    @property
    def _llm_type(self) -> str:
        return "llmlab-zoo"

    def _call(self, prompt: str, stop: list[str] | None = None,
              run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> str:
        return inference.complete(self.model, self.tok, [prompt], max_new_tokens=self.max_new_tokens, batch_size=1)[0]


class IndexRetriever(BaseRetriever):
    """Any of the lab's retrievers (``search(queries, k)``) over its chunks, as LangChain documents."""
    index: Any
    chunks: list[dict]
    k: int = 3

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [Document(page_content=self.chunks[i]["text"], metadata={"id": self.chunks[i]["id"]})
                for i in self.index.search([query], self.k)[0]]


def format_docs(docs: list[Document]) -> str:
    return "\n".join(f"[{n + 1}] {d.page_content}" for n, d in enumerate(docs))


def langchain_rag(llm: ZooLLM, retriever: IndexRetriever, template: str) -> Runnable:
    prompt = PromptTemplate.from_template(template)
    return (RunnableParallel(context=retriever | RunnableLambda(format_docs), question=RunnablePassthrough())
            | prompt | llm | StrOutputParser() | RunnableLambda(str.strip))
