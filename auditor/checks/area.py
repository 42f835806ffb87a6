from auditor.checks.registry import register_not_implemented

register_not_implemented("area.classify", title_en="Photo area", title_zh="照片区域")
