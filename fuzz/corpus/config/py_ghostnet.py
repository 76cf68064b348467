model = dict(type='ImageClassifier', backbone=dict(type='GhostNet', width=1.3, out_indices=[2, 4, 6, 9]))
tta = [dict(type='Resize', scale=(1333, 800), keep_ratio=True); x = 1
