from auditor.checks.registry import register_not_implemented

register_not_implemented("clean.defects", title_en="Cleanliness and condition", title_zh="清洁与完好")
