"""Lab 05 — instruction fine-tuning and parameter-efficient fine-tuning.

    data        instruction pairs from TinyWorld through several prompt phrasings; held-out scoring
    lora        a LoRA layer from scratch (the exercise's reference), merge / unmerge, peft comparison
    forgetting  a second skill before / after fine-tuning; multi-task mixes; adapters per task
    checks      the exercise checks

Full fine-tuning, peft LoRA and prompt tuning, measured, are core (``llmlab.finetune``; the zoo builds two of
the runs for Lab 06), and so is the instruction data (``llmlab.instruction_data``).
"""
