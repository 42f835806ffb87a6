from auditor.checks.registry import register_not_implemented

register_not_implemented("people.detect", title_en="People", title_zh="人员")
register_not_implemented("people.uniform", title_en="Uniforms", title_zh="工作服")
register_not_implemented("people.badge", title_en="Name badges", title_zh="胸卡")
