#!/usr/bin/env bash
# Several GPUs, one or more nodes, through verl's Ray launcher: Qwen2.5-7B-Instruct on MATH with PKPO (loo-1 baseline,
# k = 8 of n = 16). Defaults: 1 node x 8 GPUs (80 GB each). Not yet run on GPUs (docs/real_model.md).
#
# Once per node (the same versions on every node: verl imports course_lib.integrations.verl_register in each Ray
# worker, so every node needs passk-course):
#        pip install "passk-course[verl] @ git+https://github.com/passk-course/passk-course@main" "verl[vllm]==0.9.1"
# Data (once):   python verl/examples/data_preprocess/math_dataset.py --local_save_dir ~/data/math
# Multi-node:    on the head node   ray start --head --port=6379
#                on every other     ray start --address=<head ip>:6379
#                then on the head   NNODES=2 bash examples/verl/run_multigpu.sh
#                (run_ppo joins the running cluster: ray.init() finds it through RAY_ADDRESS or the head)
# Env:   ESTIMATOR (passk_pkpo_loo1), K (8), VAL_PROMPTS x VAL_N (256 x 32), LOGGER ('["console"]'; add "wandb"
#        after `wandb login`), OUT (rollouts/ and validation/ dumps, checkpoints), NNODES, GPUS_PER_NODE
# Watch: passk monitor "$OUT/validation" --follow
set -euo pipefail
DATA=${DATA:-$HOME/data/math}
MODEL=${MODEL:-Qwen/Qwen2.5-7B-Instruct}
NNODES=${NNODES:-1}
GPUS=${GPUS_PER_NODE:-8}
ESTIMATOR=${ESTIMATOR:-passk_pkpo_loo1}
K=${K:-8}
EXPERIMENT=${EXPERIMENT:-qwen2.5-7b_math_$ESTIMATOR}
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
    data.train_batch_size=256 \
    data.max_prompt_length=1024 \
    data.max_response_length=3072 \
    data.filter_overlong_prompts=True \
    actor_rollout_ref.model.path="$MODEL" \
    actor_rollout_ref.model.use_remove_padding=True \
    actor_rollout_ref.model.enable_gradient_checkpointing=True \
    actor_rollout_ref.actor.optim.lr=1e-6 \
    actor_rollout_ref.actor.ppo_mini_batch_size=64 \
    actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=4 \
    actor_rollout_ref.actor.loss_agg_mode=seq-mean-token-sum \
    actor_rollout_ref.actor.use_kl_loss=True \
    actor_rollout_ref.actor.kl_loss_coef=0.001 \
    actor_rollout_ref.actor.kl_loss_type=low_var_kl \
    actor_rollout_ref.actor.fsdp_config.param_offload=False \
    actor_rollout_ref.actor.fsdp_config.optimizer_offload=False \
    actor_rollout_ref.rollout.name=vllm \
    actor_rollout_ref.rollout.n=16 \
    actor_rollout_ref.rollout.tensor_model_parallel_size=2 \
    actor_rollout_ref.rollout.gpu_memory_utilization=0.6 \
    actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=8 \
    actor_rollout_ref.rollout.val_kwargs.n="${VAL_N:-32}" \
    actor_rollout_ref.rollout.val_kwargs.do_sample=True \
    actor_rollout_ref.rollout.val_kwargs.temperature=1.0 \
    actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu=8 \
    actor_rollout_ref.ref.fsdp_config.param_offload=True \
    trainer.n_gpus_per_node="$GPUS" \
    trainer.nnodes="$NNODES" \
    trainer.logger="$LOGGER" \
    trainer.project_name=passk_course \
    trainer.experiment_name="$EXPERIMENT" \
    trainer.val_before_train=True \
    trainer.test_freq=10 \
    trainer.save_freq=20 \
    trainer.total_epochs=2 \
    trainer.default_local_dir="$OUT/checkpoints" \
    trainer.rollout_data_dir="$OUT/rollouts" \
    trainer.validation_data_dir="$OUT/validation" \
    "$@"
