"""Held-out student variants for Lab 03, Exercise 3:
accumulation_step(model, optimizer, micro_batches, clip) -> float (mean micro-batch loss)."""
import statistics

import torch


# ---------------------------------------------------------------- correct
def c_reference(model: torch.nn.Module, optimizer: torch.optim.Optimizer, micro_batches: list[dict],
                clip: float) -> float:
    optimizer.zero_grad(set_to_none=True)
    k = len(micro_batches)
    total = 0.0
    for batch in micro_batches:
        loss = model(**batch).loss / k
        loss.backward()
        total += loss.item()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return total


def c_model_zero_grad_list(model: torch.nn.Module, optimizer: torch.optim.Optimizer, micro_batches: list[dict],
                           clip: float) -> float:
    model.zero_grad()
    losses = []
    n = len(micro_batches)
    for mb in micro_batches:
        out = model(**mb)
        (out.loss / n).backward()
        losses.append(out.loss.item())
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.grad is not None], max_norm=clip)
    optimizer.step()
    model.zero_grad()
    return float(statistics.fmean(losses))


def c_zero_grad_keep_tensors(model: torch.nn.Module, optimizer: torch.optim.Optimizer, micro_batches: list[dict],
                             clip: float) -> float:
    optimizer.zero_grad(set_to_none=False)
    running = 0.0
    for batch in micro_batches:
        loss = model(**batch).loss
        loss.div(len(micro_batches)).backward()
        running += float(loss.detach())
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip, norm_type=2.0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=False)
    return running / len(micro_batches)


# ---------------------------------------------------------------- wrong
def w_no_division(model, optimizer, micro_batches, clip):
    optimizer.zero_grad()
    losses = []
    for batch in micro_batches:
        loss = model(**batch).loss
        loss.backward()                                  # k times the gradient of the mean
        losses.append(loss.item())
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return sum(losses) / len(losses)


def w_no_zero_grad_first(model, optimizer, micro_batches, clip):
    k = len(micro_batches)
    total = 0.0
    for batch in micro_batches:
        loss = model(**batch).loss / k
        loss.backward()                                  # adds to whatever .grad held before
        total += loss.item()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    optimizer.zero_grad()
    return total


def w_step_per_micro_batch(model, optimizer, micro_batches, clip):
    k = len(micro_batches)
    total = 0.0
    for batch in micro_batches:
        optimizer.zero_grad()
        loss = model(**batch).loss / k
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()                                 # k optimizer steps
        total += loss.item()
    return total


def w_clip_inside_loop(model, optimizer, micro_batches, clip):
    optimizer.zero_grad()
    k = len(micro_batches)
    total = 0.0
    for batch in micro_batches:
        loss = model(**batch).loss / k
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)   # clips partial sums
        total += loss.item()
    optimizer.step()
    return total


def w_clip_after_step(model, optimizer, micro_batches, clip):
    optimizer.zero_grad()
    k = len(micro_batches)
    total = 0.0
    for batch in micro_batches:
        loss = model(**batch).loss / k
        loss.backward()
        total += loss.item()
    optimizer.step()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)   # too late
    return total


def w_no_clip(model, optimizer, micro_batches, clip):
    optimizer.zero_grad()
    k = len(micro_batches)
    total = 0.0
    for batch in micro_batches:
        loss = model(**batch).loss / k
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


def w_returns_sum(model, optimizer, micro_batches, clip):
    optimizer.zero_grad()
    k = len(micro_batches)
    total = 0.0
    for batch in micro_batches:
        loss = model(**batch).loss
        (loss / k).backward()
        total += loss.item()                             # sum of the undivided losses
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return total


def w_returns_last(model, optimizer, micro_batches, clip):
    optimizer.zero_grad()
    k = len(micro_batches)
    for batch in micro_batches:
        loss = model(**batch).loss
        (loss / k).backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss.item()


def w_returns_tensor(model, optimizer, micro_batches, clip):
    optimizer.zero_grad()
    k = len(micro_batches)
    total = 0.0
    for batch in micro_batches:
        loss = model(**batch).loss / k
        loss.backward()
        total = total + loss.detach()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return total                                         # a tensor, not a float


def w_concatenate(model, optimizer, micro_batches, clip):
    optimizer.zero_grad()
    batch = {key: torch.cat([mb[key] for mb in micro_batches]) for key in micro_batches[0]}
    loss = model(**batch).loss                           # one wide forward: no memory saved
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss.item()


def w_sum_then_one_backward(model, optimizer, micro_batches, clip):
    optimizer.zero_grad()
    losses = [model(**batch).loss for batch in micro_batches]   # every micro-batch's graph kept alive
    total = torch.stack(losses).mean()
    total.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return total.item()


def w_clip_value(model, optimizer, micro_batches, clip):
    optimizer.zero_grad()
    k = len(micro_batches)
    total = 0.0
    for batch in micro_batches:
        loss = model(**batch).loss / k
        loss.backward()
        total += loss.item()
    torch.nn.utils.clip_grad_value_(model.parameters(), clip)   # per element, not the global norm
    optimizer.step()
    return total


def w_clip_per_tensor(model, optimizer, micro_batches, clip):
    optimizer.zero_grad()
    k = len(micro_batches)
    total = 0.0
    for batch in micro_batches:
        loss = model(**batch).loss / k
        loss.backward()
        total += loss.item()
    for p in model.parameters():
        if p.grad is not None:
            torch.nn.utils.clip_grad_norm_([p], clip)    # one norm per tensor, not one global norm
    optimizer.step()
    return total


def w_divide_by_batch_size(model, optimizer, micro_batches, clip):
    optimizer.zero_grad()
    losses = []
    for batch in micro_batches:
        loss = model(**batch).loss
        (loss / batch["input_ids"].size(0)).backward()   # the loss is already a mean over the rows
        losses.append(loss.item())
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return sum(losses) / len(losses)


def w_zero_grad_inside_loop(model, optimizer, micro_batches, clip):
    k = len(micro_batches)
    total = 0.0
    for batch in micro_batches:
        optimizer.zero_grad()                            # throws away the earlier micro-batches
        loss = model(**batch).loss / k
        loss.backward()
        total += loss.item()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return total


def w_mean_divided_twice(model, optimizer, micro_batches, clip):
    optimizer.zero_grad()
    k = len(micro_batches)
    total = 0.0
    for batch in micro_batches:
        loss = model(**batch).loss / k
        loss.backward()
        total += loss.item()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return total / k                                     # already a mean


def w_hard_coded_clip(model, optimizer, micro_batches, clip):
    optimizer.zero_grad()
    k = len(micro_batches)
    total = 0.0
    for batch in micro_batches:
        loss = model(**batch).loss / k
        loss.backward()
        total += loss.item()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)   # the clip argument ignored
    optimizer.step()
    return total


def w_k_from_dict_len(model, optimizer, micro_batches, clip):
    optimizer.zero_grad()
    k = len(micro_batches[0])                            # number of keys in a batch dict (2), not of micro-batches
    total = 0.0
    for batch in micro_batches:
        loss = model(**batch).loss / k
        loss.backward()
        total += loss.item()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return total


def w_inf_norm(model, optimizer, micro_batches, clip):
    optimizer.zero_grad()
    k = len(micro_batches)
    total = 0.0
    for batch in micro_batches:
        loss = model(**batch).loss / k
        loss.backward()
        total += loss.item()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip, norm_type=float("inf"))
    optimizer.step()
    return total


def w_first_micro_batch_only(model, optimizer, micro_batches, clip):
    optimizer.zero_grad()
    loss = model(**micro_batches[0]).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss.item()


def w_detached_loss(model, optimizer, micro_batches, clip):
    optimizer.zero_grad()
    k = len(micro_batches)
    total = 0.0
    for batch in micro_batches:
        loss = (model(**batch).loss / k).detach().requires_grad_()   # no gradient reaches the weights
        loss.backward()
        total += loss.item()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return total


CORRECT = {
    "reference: zero, loss/k backward per micro-batch, clip norm, one step": c_reference,
    "model.zero_grad, list of undivided losses, statistics.fmean": c_model_zero_grad_list,
    "zero_grad(set_to_none=False), loss.div(k), mean at the end": c_zero_grad_keep_tensors,
}

WRONG = {
    "losses not divided by k (k x gradient)": w_no_division,
    "no zero_grad before accumulating": w_no_zero_grad_first,
    "optimizer step per micro-batch": w_step_per_micro_batch,
    "clips inside the loop (partial sums)": w_clip_inside_loop,
    "clips after the optimizer step": w_clip_after_step,
    "no clipping": w_no_clip,
    "returns the sum of the losses": w_returns_sum,
    "returns the last micro-batch's loss": w_returns_last,
    "returns a tensor": w_returns_tensor,
    "concatenates the micro-batches into one forward (no memory saved)": w_concatenate,
    "keeps every graph, one backward at the end (no memory saved)": w_sum_then_one_backward,
    "clip_grad_value_ instead of clip_grad_norm_": w_clip_value,
    "clips each parameter's norm separately": w_clip_per_tensor,
    "divides by the micro-batch size instead of k": w_divide_by_batch_size,
    "zero_grad inside the loop": w_zero_grad_inside_loop,
    "returns mean / k": w_mean_divided_twice,
    "clip hard-coded to 1.0": w_hard_coded_clip,
    "k = len(micro_batches[0]) (keys of a dict)": w_k_from_dict_len,
    "infinity-norm clipping": w_inf_norm,
    "uses only the first micro-batch": w_first_micro_batch_only,
    "backward through a detached loss: weights never get gradients": w_detached_loss,
}
