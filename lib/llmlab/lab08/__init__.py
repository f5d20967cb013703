"""Lab 08 — constitutional AI and RLAIF: the critique → revision loop and fine-tuning on the
revisions (``critique``), the model as a judge of two replies (``judge``), AI and simulated human
preference pairs (``preferences``), DPO from scratch and through trl's ``DPOTrainer`` (``dpo``),
harmlessness and helpfulness against TinyWorld's hidden truth (``measure``), and the exercise checks
(``checks``). The constitution, the red-team requests and the prompt formats are TinyWorld's
``constitution`` family (``llmlab.tinyworld.constitution``); the model is the zoo's ``gpt-cai``.
"""
