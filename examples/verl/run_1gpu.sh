#!/usr/bin/env bash
# One GPU (>= 24 GB; settings and estimated cost in docs/real_model.md, not yet run on a GPU): Qwen2.5-0.5B-Instruct
# on GSM8K with Chen et al.'s pass@k advantage (k = 4 of n = 8 responses per prompt), through verl 0.9.1 + vLLM.
#
# Once:  pip install "passk-course[verl] @ git+https://github.com/passk-course/passk-course@main" "verl[vllm]==0.9.1"
#        (from a clone of the course: pip install -e ".[verl]" "verl[vllm]==0.9.1"; verl[vllm] is verl's tested GPU
#        stack: vllm 0.24.0, torch 2.11.0, transformers 5.9.0)
#        git clone --depth 1 --branch v0.9.1 https://github.com/volcengine/verl  # for its data scripts
#        python verl/examples/data_preprocess/gsm8k.py --local_save_dir ~/data/gsm8k
# Run:   bash examples/verl/run_1gpu.sh [more verl overrides, last; a key this script sets takes ++, e.g. ++algorithm.passk.eps=0]
# Env:   ESTIMATOR (passk_chen; python -m course_lib.integrations.verl_main --list), K (4),
#        VAL_PROMPTS x VAL_N validation samples (256 x 16), LOGGER ('["console"]'; '["console","wandb"]' after
#        `wandb login`), OUT (the run's folder: rollouts/ and validation/ hold one <step>.jsonl per step)
# Watch: passk monitor "$OUT/validation" --follow
set -euo pipefail
DATA=${DATA:-$HOME/data/gsm8k}
MODEL=${MODEL:-Qwen/Qwen2.5-0.5B-Instruct}
ESTIMATOR=${ESTIMATOR:-passk_chen}
K=${K:-4}
EXPERIMENT=${EXPERIMENT:-qwen2.5-0.5b_gsm8k_$ESTIMATOR}
OUT=${OUT:-$HOME/passk_runs/$EXPERIMENT}
LOGGER=${LOGGER:-'["console"]'}

python -m course_lib.integrations.verl_main \
    algorithm.adv_estimator="$ESTIMATOR" \
    ++algorithm.passk.k="$K" \
    algorithm.use_kl_in_reward=False \
    data.train_files="$DATA/train.parquet" \
    data.val_files="$DATA/test.parquet" \
    data.val_max_samples="${VAL_PROMPTS:-256}" \
    data.seed=0 \
    data.train_batch_size=64 \
    data.max_prompt_length=512 \
    data.max_response_length=512 \
    data.filter_overlong_prompts=True \
    actor_rollout_ref.model.path="$MODEL" \
    actor_rollout_ref.model.use_remove_padding=True \
    actor_rollout_ref.model.enable_gradient_checkpointing=True \
    actor_rollout_ref.actor.optim.lr=1e-6 \
    actor_rollout_ref.actor.ppo_mini_batch_size=32 \
    actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=16 \
    actor_rollout_ref.actor.loss_agg_mode=seq-mean-token-sum \
    actor_rollout_ref.actor.use_kl_loss=False \
    actor_rollout_ref.actor.entropy_coeff=0 \
    actor_rollout_ref.rollout.name=vllm \
    actor_rollout_ref.rollout.n=8 \
    actor_rollout_ref.rollout.tensor_model_parallel_size=1 \
    actor_rollout_ref.rollout.gpu_memory_utilization=0.5 \
    actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=32 \
    actor_rollout_ref.rollout.val_kwargs.n="${VAL_N:-16}" \
    actor_rollout_ref.rollout.val_kwargs.do_sample=True \
    actor_rollout_ref.rollout.val_kwargs.temperature=1.0 \
    actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu=32 \
    trainer.n_gpus_per_node=1 \
    trainer.nnodes=1 \
    trainer.logger="$LOGGER" \
    trainer.project_name=passk_course \
    trainer.experiment_name="$EXPERIMENT" \
    trainer.val_before_train=True \
    trainer.test_freq=20 \
    trainer.save_freq=50 \
    trainer.total_epochs=1 \
    trainer.default_local_dir="$OUT/checkpoints" \
    trainer.rollout_data_dir="$OUT/rollouts" \
    trainer.validation_data_dir="$OUT/validation" \
    "$@"
