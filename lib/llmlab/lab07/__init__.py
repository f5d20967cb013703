"""Lab 07: RLHF — a reward model from rankings, PPO with a KL penalty from scratch, reward hacking, LoRA PPO."""
