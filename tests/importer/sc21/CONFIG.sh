#!/bin/bash
# The parameters every row of Megatron-LM SC21 Table 1 shares, laid out as Megatron-LM's
# examples/sc21/CONFIG.sh lays them out (paths are placeholders). A row sets TP, PP, MBS, GBS,
# NLS, HS, NAH, DDP, NNODES and MEGATRON_EXTRA_PARAMS first, as run_table_1.sh does; SRUN.sh
# then launches pretrain_gpt.py with MEGATRON_PARAMS.

# SLURM options.
export SLURM_PARTITION=luna
export SLURM_ACCOUNT=adlr

# Source code.
export MEGATRON_CODE_DIR=/lustre/fsw/megatron-lm

# This variable is used to mount the relevant part of the filesystem
# inside the docker container.
export DOCKER_MOUNT_DIR=/lustre/fsw/data

# Data and tokenizer files.
MEGATRON_DATA=/lustre/fsw/data/gpt/my-gpt_text_document
BPE_VOCAB_FILE=/lustre/fsw/data/gpt/gpt2-vocab.json
BPE_MERGE_FILE=/lustre/fsw/data/gpt/gpt2-merges.txt

# Megatron input parameters.
# `MEGATRON_EXTRA_PARAMS` can be used to provide any extra parameters
# that are not listed here.
export MEGATRON_PARAMS=" ${MEGATRON_EXTRA_PARAMS} \
        --tensor-model-parallel-size ${TP} \
        --pipeline-model-parallel-size ${PP} \
        --micro-batch-size ${MBS} \
        --global-batch-size ${GBS} \
        --num-layers ${NLS} \
        --hidden-size ${HS} \
        --num-attention-heads ${NAH} \
        --DDP-impl ${DDP} \
        --data-path ${MEGATRON_DATA} \
        --vocab-file ${BPE_VOCAB_FILE} \
        --merge-file ${BPE_MERGE_FILE} \
        --log-interval 5 \
        --seq-length 2048 \
        --max-position-embeddings 2048 \
        --train-iters 500 \
        --lr-decay-iters 320 \
        --lr 0.0001 \
	--min-lr 0.00001 \
        --lr-decay-style cosine \
        --lr-warmup-fraction 0.01 \
        --split 969,30,1 \
        --eval-iters 100 \
        --eval-interval 1000 \
        --clip-grad 1.0 \
        --fp16 \
	--loss-scale 8192 "
