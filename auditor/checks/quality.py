from auditor.checks.registry import register_not_implemented

register_not_implemented("quality.photo", title_en="Photo quality", title_zh="照片质量")
