_base_ = ['../_base_/models/faster-rcnn_r50_fpn.py']
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(backbone=dict(depth=101, norm_cfg=norm_cfg, out_indices={{_base_.idx}}, strides=(1, 2) * 2))
