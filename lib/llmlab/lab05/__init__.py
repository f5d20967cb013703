"""Lab 05 — instruction fine-tuning and parameter-efficient fine-tuning.

    data        instruction pairs from TinyWorld through several prompt phrasings; held-out scoring
    lora        a LoRA layer from scratch (the exercise's reference), merge / unmerge, peft comparison
    tuning      full fine-tuning, peft LoRA and prompt tuning on the same data and steps, measured
    forgetting  a second skill before / after fine-tuning; multi-task mixes; adapters per task
    checks      the exercise checks
"""
