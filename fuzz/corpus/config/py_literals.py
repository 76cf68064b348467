{'type': "ResNeXt", 'depth': 1_01, 'groups': 0x20, 'base_width': +4, 'frozen_stages': -1,
 'norm_cfg': {'type': 'GN', 'num_groups': 32, 'eps': 1e-5, }, # comment
 'init_cfg': [dict(type='Kaiming', layer='Conv2d'), dict(type='Pretrained',
     checkpoint=r'C:\ckpt\r101.safetensors' '' """x""" '\x41\u00e9\n\'')],
 'pretrained': None, 'with_cp': False,}
