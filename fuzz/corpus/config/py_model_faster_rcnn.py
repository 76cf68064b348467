# A Faster R-CNN model config as MMDetection 3.x writes it, with the backbone
# dict of its configs/_base_/models/faster-rcnn_r50_fpn.py as a user copies it.
# clbb reads the Python literals (dict(...), tuples, True/False/None), uses
# model.backbone and says so; the neck and heads are not read.
#
#   clbb run --config examples/configs/faster-rcnn_r50_fpn.py --shape 1,3,224,224 \
#       --weights resnet50.safetensors
model = dict(
    type='FasterRCNN',
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(
        type='FPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=256,
        num_outs=5),
)
