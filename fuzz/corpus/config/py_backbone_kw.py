backbone=dict(type='ResNet', depth=50, out_indices=(0, 1, 2, 3), norm_eval=True,
              dcn=dict(type='DCNv2', deform_groups=1, fallback_on_stride=False),
              stage_with_dcn=(False, True, True, True), plugins=[
                  dict(cfg=dict(type='ContextBlock', ratio=1. / 16), stages=(False, True, True, True),
                       position='after_conv3')],),
