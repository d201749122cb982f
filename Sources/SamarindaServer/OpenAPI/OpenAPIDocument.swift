// Generated from docs/openapi.yaml — do not edit by hand. After editing the YAML, regenerate with
//   SAMARINDA_WRITE_OPENAPI=1 swift test --filter OpenAPISpecTests
// (the test fails while this copy and the YAML disagree).

/// The OpenAPI 3.1 description of the API, served as `GET /openapi.json`.
enum OpenAPIDocument {
    static let json = ##"""
{
  "components" : {
    "responses" : {
      "BadRequest" : {
        "content" : {
          "application/json" : {
            "schema" : {
              "$ref" : "#/components/schemas/Error"
            }
          }
        },
        "description" : "The request is malformed or a field is out of range (the message names the field and the allowed range)."
      },
      "Forbidden" : {
        "content" : {
          "application/json" : {
            "schema" : {
              "$ref" : "#/components/schemas/Error"
            }
          }
        },
        "description" : "The key's role or clearance does not allow this."
      },
      "MethodNotAllowed" : {
        "content" : {
          "application/json" : {
            "schema" : {
              "$ref" : "#/components/schemas/Error"
            }
          }
        },
        "description" : "The route exists with other methods."
      },
      "ModelFailure" : {
        "content" : {
          "application/json" : {
            "schema" : {
              "$ref" : "#/components/schemas/Error"
            }
          }
        },
        "description" : "Every provider allowed for the request failed (502), or the caller went away (499)."
      },
      "NotFound" : {
        "content" : {
          "application/json" : {
            "schema" : {
              "$ref" : "#/components/schemas/Error"
            }
          }
        },
        "description" : "No such route, model, tool, document or event."
      },
      "RateLimited" : {
        "content" : {
          "application/json" : {
            "schema" : {
              "$ref" : "#/components/schemas/Error"
            }
          }
        },
        "description" : "Too many requests for this key, or the department's token budget is spent; see Retry-After.",
        "headers" : {
          "Retry-After" : {
            "schema" : {
              "type" : "integer"
            }
          }
        }
      },
      "Timeout" : {
        "content" : {
          "application/json" : {
            "schema" : {
              "$ref" : "#/components/schemas/Error"
            }
          }
        },
        "description" : "The request passed `[server] request_timeout_ms` and was stopped (code request_timeout)."
      },
      "TooLarge" : {
        "content" : {
          "application/json" : {
            "schema" : {
              "$ref" : "#/components/schemas/Error"
            }
          }
        },
        "description" : "The body is larger than `[server] max_body_bytes`."
      },
      "Unauthorized" : {
        "content" : {
          "application/json" : {
            "schema" : {
              "$ref" : "#/components/schemas/Error"
            }
          }
        },
        "description" : "No key, or a bad, malformed or revoked one."
      },
      "Unavailable" : {
        "content" : {
          "application/json" : {
            "schema" : {
              "$ref" : "#/components/schemas/Error"
            }
          }
        },
        "description" : "The database or audit trail cannot record right now, so nothing was done; retry shortly.",
        "headers" : {
          "Retry-After" : {
            "schema" : {
              "type" : "integer"
            }
          }
        }
      },
      "Unprocessable" : {
        "content" : {
          "application/json" : {
            "schema" : {
              "$ref" : "#/components/schemas/Error"
            }
          }
        },
        "description" : "Understood but refused (a tool limit hit, a document that cannot be ingested, redaction failed)."
      }
    },
    "schemas" : {
      "AnswerMarker" : {
        "description" : "Our extension on every generated answer (SE Menkominfo 9/2023 asks that AI output be recognisable).",
        "properties" : {
          "ai_generated" : {
            "const" : true
          },
          "classification" : {
            "$ref" : "#/components/schemas/Classification"
          },
          "conversation_id" : {
            "description" : "The stored conversation the exchange went into, if any.",
            "type" : "string"
          },
          "history_turns_omitted" : {
            "description" : "Stored turns of the conversation not sent to the model ([chat] history_max_turns, history_max_chars); absent when none were left out.",
            "minimum" : 1,
            "type" : "integer"
          },
          "provider" : {
            "type" : "string"
          },
          "request_id" : {
            "description" : "The id every audit event of this answer carries (docs.search, tool.call, model.call).",
            "type" : "string"
          }
        },
        "required" : [
          "ai_generated",
          "request_id",
          "provider",
          "classification"
        ],
        "type" : "object"
      },
      "AuditEvent" : {
        "properties" : {
          "action" : {
            "type" : "string"
          },
          "classification" : {
            "$ref" : "#/components/schemas/Classification"
          },
          "code" : {
            "type" : "string"
          },
          "department" : {
            "type" : "string"
          },
          "duration_us" : {
            "type" : "integer"
          },
          "fields" : {
            "additionalProperties" : {
              "type" : "string"
            },
            "type" : "object"
          },
          "key_id" : {
            "type" : "string"
          },
          "outcome" : {
            "enum" : [
              "ok",
              "denied",
              "error"
            ]
          },
          "principal" : {
            "type" : "string"
          },
          "request_id" : {
            "type" : "string"
          },
          "role" : {
            "type" : "string"
          },
          "seq" : {
            "type" : "integer"
          },
          "target" : {
            "type" : "string"
          },
          "time" : {
            "type" : "string"
          }
        },
        "required" : [
          "seq",
          "time",
          "principal",
          "department",
          "role",
          "action",
          "target",
          "classification",
          "outcome",
          "duration_us",
          "fields"
        ],
        "type" : "object"
      },
      "ChatCompletion" : {
        "properties" : {
          "choices" : {
            "items" : {
              "properties" : {
                "finish_reason" : {
                  "type" : "string"
                },
                "index" : {
                  "type" : "integer"
                },
                "message" : {
                  "$ref" : "#/components/schemas/ChatMessage"
                }
              },
              "required" : [
                "index",
                "message",
                "finish_reason"
              ],
              "type" : "object"
            },
            "type" : "array"
          },
          "citations" : {
            "items" : {
              "properties" : {
                "chunk_id" : {
                  "type" : "integer"
                },
                "classification" : {
                  "$ref" : "#/components/schemas/Classification"
                },
                "collection" : {
                  "type" : "string"
                },
                "document_id" : {
                  "type" : "integer"
                },
                "n" : {
                  "type" : "integer"
                },
                "section" : {
                  "type" : "string"
                },
                "snippet" : {
                  "type" : "string"
                },
                "title" : {
                  "type" : "string"
                }
              },
              "required" : [
                "n",
                "document_id",
                "chunk_id",
                "title",
                "section",
                "collection",
                "classification",
                "snippet"
              ],
              "type" : "object"
            },
            "type" : "array"
          },
          "classification" : {
            "$ref" : "#/components/schemas/Classification"
          },
          "created" : {
            "type" : "integer"
          },
          "id" : {
            "type" : "string"
          },
          "model" : {
            "type" : "string"
          },
          "object" : {
            "const" : "chat.completion"
          },
          "provider" : {
            "type" : "string"
          },
          "samarinda" : {
            "$ref" : "#/components/schemas/AnswerMarker"
          },
          "usage" : {
            "$ref" : "#/components/schemas/Usage"
          }
        },
        "required" : [
          "id",
          "object",
          "created",
          "model",
          "choices",
          "provider",
          "classification",
          "citations",
          "samarinda"
        ],
        "type" : "object"
      },
      "ChatCompletionRequest" : {
        "properties" : {
          "classification" : {
            "$ref" : "#/components/schemas/Classification"
          },
          "conversation_id" : {
            "description" : "Continue this stored conversation of the caller (GET /v1/conversations lists them)",
            "type" : "string"
          },
          "frequency_penalty" : {
            "maximum" : 2,
            "minimum" : -2,
            "type" : [
              "number",
              "null"
            ]
          },
          "max_completion_tokens" : {
            "maximum" : 1000000,
            "minimum" : 1,
            "type" : [
              "integer",
              "null"
            ]
          },
          "max_tokens" : {
            "maximum" : 1000000,
            "minimum" : 1,
            "type" : [
              "integer",
              "null"
            ]
          },
          "messages" : {
            "items" : {
              "$ref" : "#/components/schemas/ChatMessage"
            },
            "minItems" : 1,
            "type" : "array"
          },
          "model" : {
            "default" : "samarinda-default",
            "description" : "A model alias from GET /v1/models",
            "type" : "string"
          },
          "n" : {
            "maximum" : 1,
            "minimum" : 1,
            "type" : [
              "integer",
              "null"
            ]
          },
          "presence_penalty" : {
            "maximum" : 2,
            "minimum" : -2,
            "type" : [
              "number",
              "null"
            ]
          },
          "retrieval" : {
            "description" : "Search the caller's documents first (default: on for samarinda-* aliases)",
            "type" : "boolean"
          },
          "store" : {
            "description" : "Keep this exchange as a new stored conversation; its id comes back in samarinda.conversation_id",
            "type" : "boolean"
          },
          "stream" : {
            "type" : "boolean"
          },
          "temperature" : {
            "maximum" : 2,
            "minimum" : 0,
            "type" : [
              "number",
              "null"
            ]
          },
          "tool_choice" : {

          },
          "tools" : {
            "items" : {
              "properties" : {
                "function" : {
                  "properties" : {
                    "description" : {
                      "type" : "string"
                    },
                    "name" : {
                      "type" : "string"
                    },
                    "parameters" : {
                      "type" : "object"
                    }
                  },
                  "required" : [
                    "name"
                  ],
                  "type" : "object"
                },
                "type" : {
                  "const" : "function"
                }
              },
              "required" : [
                "type",
                "function"
              ],
              "type" : "object"
            },
            "type" : "array"
          },
          "top_p" : {
            "maximum" : 1,
            "minimum" : 0,
            "type" : [
              "number",
              "null"
            ]
          }
        },
        "required" : [
          "messages"
        ],
        "type" : "object"
      },
      "ChatMessage" : {
        "properties" : {
          "content" : {
            "oneOf" : [
              {
                "type" : "string"
              },
              {
                "type" : "null"
              },
              {
                "items" : {
                  "properties" : {
                    "text" : {
                      "type" : "string"
                    },
                    "type" : {
                      "type" : "string"
                    }
                  },
                  "required" : [
                    "type"
                  ],
                  "type" : "object"
                },
                "type" : "array"
              }
            ]
          },
          "name" : {
            "type" : "string"
          },
          "role" : {
            "enum" : [
              "system",
              "developer",
              "user",
              "assistant",
              "tool"
            ]
          },
          "tool_call_id" : {
            "type" : "string"
          },
          "tool_calls" : {
            "items" : {
              "properties" : {
                "function" : {
                  "properties" : {
                    "arguments" : {
                      "type" : "string"
                    },
                    "name" : {
                      "type" : "string"
                    }
                  },
                  "required" : [
                    "name",
                    "arguments"
                  ],
                  "type" : "object"
                },
                "id" : {
                  "type" : "string"
                },
                "type" : {
                  "const" : "function"
                }
              },
              "required" : [
                "function"
              ],
              "type" : "object"
            },
            "type" : "array"
          }
        },
        "required" : [
          "role"
        ],
        "type" : "object"
      },
      "Citation" : {
        "properties" : {
          "chunk_id" : {
            "type" : "integer"
          },
          "classification" : {
            "type" : "string"
          },
          "collection" : {
            "type" : "string"
          },
          "document_id" : {
            "type" : "integer"
          },
          "n" : {
            "type" : "integer"
          },
          "section" : {
            "type" : "string"
          },
          "snippet" : {
            "type" : "string"
          },
          "title" : {
            "type" : "string"
          }
        },
        "required" : [
          "n",
          "document_id",
          "title"
        ],
        "type" : "object"
      },
      "Classification" : {
        "enum" : [
          "biasa",
          "terbatas",
          "rahasia",
          "sangat_rahasia"
        ]
      },
      "Conversation" : {
        "properties" : {
          "classification" : {
            "$ref" : "#/components/schemas/Classification"
          },
          "created_at" : {
            "description" : "Unix seconds.",
            "type" : "integer"
          },
          "id" : {
            "type" : "string"
          },
          "object" : {
            "const" : "conversation"
          },
          "title" : {
            "description" : "The first question, shortened.",
            "type" : "string"
          },
          "updated_at" : {
            "description" : "Unix seconds.",
            "type" : "integer"
          }
        },
        "required" : [
          "id",
          "object",
          "title",
          "classification",
          "created_at",
          "updated_at"
        ],
        "type" : "object"
      },
      "ConversationMessage" : {
        "properties" : {
          "citations" : {
            "items" : {
              "$ref" : "#/components/schemas/Citation"
            },
            "type" : "array"
          },
          "classification" : {
            "$ref" : "#/components/schemas/Classification"
          },
          "content" : {
            "type" : "string"
          },
          "created_at" : {
            "type" : "integer"
          },
          "id" : {
            "type" : "integer"
          },
          "model" : {
            "description" : "Assistant turns only.",
            "type" : "string"
          },
          "provider" : {
            "description" : "Assistant turns only.",
            "type" : "string"
          },
          "request_id" : {
            "type" : "string"
          },
          "role" : {
            "enum" : [
              "user",
              "assistant"
            ]
          },
          "samarinda" : {
            "properties" : {
              "ai_generated" : {
                "type" : "boolean"
              }
            },
            "type" : "object"
          }
        },
        "required" : [
          "id",
          "role",
          "content",
          "created_at"
        ],
        "type" : "object"
      },
      "Document" : {
        "properties" : {
          "bytes" : {
            "type" : "integer"
          },
          "classification" : {
            "$ref" : "#/components/schemas/Classification"
          },
          "collection" : {
            "type" : "string"
          },
          "date" : {
            "type" : "string"
          },
          "department" : {
            "type" : "string"
          },
          "format" : {
            "type" : "string"
          },
          "id" : {
            "type" : "integer"
          },
          "ingested_at" : {
            "format" : "date-time",
            "type" : "string"
          },
          "ingested_by" : {
            "type" : "string"
          },
          "number" : {
            "type" : "string"
          },
          "source_name" : {
            "type" : "string"
          },
          "tags" : {
            "items" : {
              "type" : "string"
            },
            "type" : "array"
          },
          "title" : {
            "type" : "string"
          }
        },
        "required" : [
          "id",
          "collection",
          "department",
          "title",
          "source_name",
          "format",
          "classification",
          "bytes",
          "ingested_by",
          "ingested_at",
          "tags"
        ],
        "type" : "object"
      },
      "Error" : {
        "properties" : {
          "error" : {
            "properties" : {
              "code" : {
                "description" : "Stable, e.g. invalid_request, invalid_json, body_too_large, request_timeout.",
                "type" : "string"
              },
              "message" : {
                "description" : "What was wrong and how to fix it.",
                "type" : "string"
              },
              "type" : {
                "description" : "OpenAI's vocabulary: invalid_request_error, authentication_error, permission_error, not_found_error, rate_limit_error, insufficient_quota, server_error",
                "type" : "string"
              }
            },
            "required" : [
              "type",
              "message",
              "code"
            ],
            "type" : "object"
          }
        },
        "required" : [
          "error"
        ],
        "type" : "object"
      },
      "Job" : {
        "properties" : {
          "collection" : {
            "type" : "string"
          },
          "created_at" : {
            "format" : "date-time",
            "type" : "string"
          },
          "current_file" : {
            "type" : "string"
          },
          "error" : {
            "description" : "Why a failed job stored nothing.",
            "type" : "string"
          },
          "files" : {
            "properties" : {
              "done" : {
                "type" : "integer"
              },
              "total" : {
                "type" : "integer"
              }
            },
            "required" : [
              "done",
              "total"
            ],
            "type" : "object"
          },
          "finished_at" : {
            "format" : "date-time",
            "type" : "string"
          },
          "id" : {
            "type" : "string"
          },
          "object" : {
            "const" : "job"
          },
          "pages" : {
            "description" : "Pages recognised by OCR so far in the file being read, and how many it has (0/0 without OCR).",
            "properties" : {
              "done" : {
                "type" : "integer"
              },
              "total" : {
                "type" : "integer"
              }
            },
            "required" : [
              "done",
              "total"
            ],
            "type" : "object"
          },
          "results" : {
            "items" : {
              "properties" : {
                "chunks" : {
                  "type" : "integer"
                },
                "code" : {
                  "description" : "Why a file was skipped: too_large, unreadable, empty, …",
                  "type" : "string"
                },
                "document_id" : {
                  "type" : "integer"
                },
                "file" : {
                  "type" : "string"
                },
                "outcome" : {
                  "enum" : [
                    "added",
                    "replaced",
                    "unchanged",
                    "skipped"
                  ]
                },
                "reason" : {
                  "type" : "string"
                }
              },
              "required" : [
                "file",
                "outcome",
                "chunks"
              ],
              "type" : "object"
            },
            "type" : "array"
          },
          "resumed" : {
            "description" : "How many times a restart of the service picked the job up again.",
            "type" : "integer"
          },
          "started_at" : {
            "format" : "date-time",
            "type" : "string"
          },
          "status" : {
            "enum" : [
              "queued",
              "running",
              "done",
              "failed"
            ]
          }
        },
        "required" : [
          "object",
          "id",
          "status",
          "collection",
          "files",
          "pages",
          "current_file",
          "created_at",
          "resumed",
          "results"
        ],
        "type" : "object"
      },
      "Usage" : {
        "properties" : {
          "completion_tokens" : {
            "type" : "integer"
          },
          "prompt_tokens" : {
            "type" : "integer"
          },
          "total_tokens" : {
            "type" : "integer"
          }
        },
        "required" : [
          "prompt_tokens",
          "completion_tokens",
          "total_tokens"
        ],
        "type" : "object"
      }
    },
    "securitySchemes" : {
      "bearer" : {
        "description" : "An API key from `samarinda keys create`, or, with `[auth.oidc] api_audience` set, an OpenID Connect access token (a JWT) from the configured issuer for that audience, acting as the mapped user (docs/SSO.md).",
        "scheme" : "bearer",
        "type" : "http"
      }
    }
  },
  "info" : {
    "description" : "Every route except /healthz and /openapi.json needs `Authorization: Bearer <api key>`\n(create keys with `samarinda keys create`). Every error has one shape,\n`{\"error\": {\"type\", \"message\", \"code\"}}`, with the HTTP status that fits; `code` is stable.\nEvery answer carries an `X-Request-Id` header: the id that names the request in the service log,\nin 500/503 error messages and in the audit events it caused. Every refusal (401, 403, 400, 413,\n422, 429) is an audit event (`auth.fail`, `access.deny`, `tool.call` denied, `request.refused`);\na flood of them is counted per caller and window (`[security] refusal_events_per_window`).\nThe README's \"Limits\" section lists every size, count, range, rate and timeout, and what a\ncaller gets when crossing one.\n",
    "summary" : "The city of Samarinda's own AI platform — OpenAI- and MCP-compatible.",
    "title" : "Samarinda.ai API",
    "version" : "1.0"
  },
  "openapi" : "3.1.0",
  "paths" : {
    "/healthz" : {
      "get" : {
        "operationId" : "health",
        "responses" : {
          "200" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "properties" : {
                    "status" : {
                      "const" : "ok"
                    },
                    "version" : {
                      "type" : "string"
                    }
                  },
                  "required" : [
                    "status",
                    "version"
                  ],
                  "type" : "object"
                }
              }
            },
            "description" : "The service is up."
          }
        },
        "security" : [

        ],
        "summary" : "Liveness; no key needed.",
        "tags" : [
          "service"
        ]
      }
    },
    "/mcp" : {
      "get" : {
        "operationId" : "mcpStream",
        "responses" : {
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "405" : {
            "$ref" : "#/components/responses/MethodNotAllowed"
          },
          "429" : {
            "$ref" : "#/components/responses/RateLimited"
          }
        },
        "summary" : "Not offered (the endpoint is stateless); always 405.",
        "tags" : [
          "tools"
        ]
      },
      "post" : {
        "operationId" : "mcp",
        "parameters" : [
          {
            "example" : "2025-03-26",
            "in" : "header",
            "name" : "MCP-Protocol-Version",
            "required" : false,
            "schema" : {
              "type" : "string"
            }
          }
        ],
        "requestBody" : {
          "content" : {
            "application/json" : {
              "schema" : {
                "description" : "A JSON-RPC 2.0 message (initialize, tools/list, tools/call, …).",
                "properties" : {
                  "id" : {
                    "type" : [
                      "integer",
                      "string"
                    ]
                  },
                  "jsonrpc" : {
                    "const" : "2.0"
                  },
                  "method" : {
                    "type" : "string"
                  },
                  "params" : {
                    "type" : "object"
                  }
                },
                "required" : [
                  "jsonrpc",
                  "method"
                ],
                "type" : "object"
              }
            }
          },
          "required" : true
        },
        "responses" : {
          "200" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "type" : "object"
                }
              }
            },
            "description" : "The JSON-RPC answer."
          },
          "202" : {
            "description" : "A notification was accepted."
          },
          "400" : {
            "$ref" : "#/components/responses/BadRequest"
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "404" : {
            "$ref" : "#/components/responses/NotFound"
          },
          "405" : {
            "$ref" : "#/components/responses/MethodNotAllowed"
          },
          "406" : {
            "description" : "The Accept header does not allow application/json."
          },
          "413" : {
            "$ref" : "#/components/responses/TooLarge"
          },
          "415" : {
            "description" : "The body is not application/json."
          },
          "429" : {
            "$ref" : "#/components/responses/RateLimited"
          },
          "504" : {
            "$ref" : "#/components/responses/Timeout"
          }
        },
        "summary" : "MCP over streamable HTTP (stateless); the caller's tools as MCP tools.",
        "tags" : [
          "tools"
        ]
      }
    },
    "/metrics" : {
      "get" : {
        "operationId" : "metrics",
        "responses" : {
          "200" : {
            "content" : {
              "text/plain" : {
                "schema" : {
                  "type" : "string"
                }
              }
            },
            "description" : "Prometheus text exposition format."
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "429" : {
            "$ref" : "#/components/responses/RateLimited"
          }
        },
        "summary" : "Prometheus metrics (admin, service, auditor).",
        "tags" : [
          "service"
        ]
      }
    },
    "/openapi.json" : {
      "get" : {
        "operationId" : "openapi",
        "responses" : {
          "200" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "required" : [
                    "openapi",
                    "paths"
                  ],
                  "type" : "object"
                }
              }
            },
            "description" : "The OpenAPI 3.1 document."
          }
        },
        "security" : [

        ],
        "summary" : "This description, as JSON; no key needed.",
        "tags" : [
          "service"
        ]
      }
    },
    "/v1/audit" : {
      "get" : {
        "operationId" : "listAuditEvents",
        "parameters" : [
          {
            "in" : "query",
            "name" : "limit",
            "required" : false,
            "schema" : {
              "default" : 100,
              "maximum" : 1000,
              "minimum" : 1,
              "type" : "integer"
            }
          },
          {
            "in" : "query",
            "name" : "department",
            "required" : false,
            "schema" : {
              "type" : "string"
            }
          },
          {
            "example" : "tool.call",
            "in" : "query",
            "name" : "action",
            "required" : false,
            "schema" : {
              "type" : "string"
            }
          },
          {
            "in" : "query",
            "name" : "outcome",
            "required" : false,
            "schema" : {
              "enum" : [
                "ok",
                "denied",
                "error"
              ]
            }
          },
          {
            "description" : "YYYY-MM-DD (WITA) or ISO 8601",
            "example" : "2026-11-01",
            "in" : "query",
            "name" : "from",
            "required" : false,
            "schema" : {
              "type" : "string"
            }
          },
          {
            "description" : "YYYY-MM-DD (WITA, inclusive) or ISO 8601",
            "example" : "2026-11-30",
            "in" : "query",
            "name" : "to",
            "required" : false,
            "schema" : {
              "type" : "string"
            }
          },
          {
            "description" : "A content digest from POST /v1/audit/digest",
            "in" : "query",
            "name" : "containing",
            "required" : false,
            "schema" : {
              "type" : "string"
            }
          },
          {
            "description" : "An identifier (NIK, KK, NPWP, phone, e-mail…): every event that mentioned it; the lookup is audited",
            "example" : "6472014501900003",
            "in" : "query",
            "name" : "subject",
            "required" : false,
            "schema" : {
              "type" : "string"
            }
          }
        ],
        "responses" : {
          "200" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "properties" : {
                    "data" : {
                      "items" : {
                        "$ref" : "#/components/schemas/AuditEvent"
                      },
                      "type" : "array"
                    },
                    "object" : {
                      "const" : "list"
                    },
                    "total" : {
                      "type" : "integer"
                    }
                  },
                  "required" : [
                    "object",
                    "data",
                    "total"
                  ],
                  "type" : "object"
                }
              }
            },
            "description" : "The events and the trail's total size."
          },
          "400" : {
            "$ref" : "#/components/responses/BadRequest"
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "429" : {
            "$ref" : "#/components/responses/RateLimited"
          }
        },
        "summary" : "Audit events, newest first, with filters.",
        "tags" : [
          "audit"
        ]
      }
    },
    "/v1/audit/checkpoint" : {
      "get" : {
        "operationId" : "auditCheckpoint",
        "responses" : {
          "200" : {
            "content" : {
              "text/plain" : {
                "schema" : {
                  "type" : "string"
                }
              }
            },
            "description" : "The signed note."
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "429" : {
            "$ref" : "#/components/responses/RateLimited"
          },
          "503" : {
            "$ref" : "#/components/responses/Unavailable"
          }
        },
        "summary" : "A signed checkpoint of the whole trail now (C2SP signed note), to keep as a witness; audited.",
        "tags" : [
          "audit"
        ]
      }
    },
    "/v1/audit/digest" : {
      "post" : {
        "operationId" : "auditDigest",
        "requestBody" : {
          "content" : {
            "application/json" : {
              "schema" : {
                "properties" : {
                  "json" : {
                    "description" : "Digest the text as canonical JSON (as tool arguments are).",
                    "type" : "boolean"
                  },
                  "text" : {
                    "type" : "string"
                  }
                },
                "required" : [
                  "text"
                ],
                "type" : "object"
              }
            }
          },
          "required" : true
        },
        "responses" : {
          "200" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "properties" : {
                    "digest" : {
                      "type" : "string"
                    }
                  },
                  "required" : [
                    "digest"
                  ],
                  "type" : "object"
                }
              }
            },
            "description" : "The digest."
          },
          "400" : {
            "$ref" : "#/components/responses/BadRequest"
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "413" : {
            "$ref" : "#/components/responses/TooLarge"
          },
          "429" : {
            "$ref" : "#/components/responses/RateLimited"
          },
          "503" : {
            "$ref" : "#/components/responses/Unavailable"
          }
        },
        "summary" : "The keyed digest of a text, to find events about it (the lookup is itself audited).",
        "tags" : [
          "audit"
        ]
      }
    },
    "/v1/audit/export" : {
      "get" : {
        "operationId" : "auditExport",
        "parameters" : [
          {
            "description" : "YYYY-MM-DD (WITA) or ISO 8601",
            "in" : "query",
            "name" : "since",
            "required" : false,
            "schema" : {
              "type" : "string"
            }
          }
        ],
        "responses" : {
          "200" : {
            "content" : {
              "application/x-ndjson" : {
                "schema" : {
                  "type" : "string"
                }
              }
            },
            "description" : "The export."
          },
          "400" : {
            "$ref" : "#/components/responses/BadRequest"
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "429" : {
            "$ref" : "#/components/responses/RateLimited"
          },
          "503" : {
            "$ref" : "#/components/responses/Unavailable"
          }
        },
        "summary" : "The trail as JSON lines that verify on their own with the public key; audited.",
        "tags" : [
          "audit"
        ]
      }
    },
    "/v1/audit/key" : {
      "get" : {
        "operationId" : "auditKey",
        "responses" : {
          "200" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "properties" : {
                    "chain" : {
                      "items" : {
                        "type" : "string"
                      },
                      "type" : "array"
                    },
                    "fingerprint" : {
                      "type" : "string"
                    },
                    "key" : {
                      "type" : "string"
                    }
                  },
                  "required" : [
                    "key",
                    "fingerprint",
                    "chain"
                  ],
                  "type" : "object"
                }
              }
            },
            "description" : "The key."
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "429" : {
            "$ref" : "#/components/responses/RateLimited"
          }
        },
        "summary" : "The trail's public key, its readable fingerprint and the chain of keys after rotations.",
        "tags" : [
          "audit"
        ]
      }
    },
    "/v1/audit/receipt/{seq}" : {
      "get" : {
        "operationId" : "auditReceipt",
        "parameters" : [
          {
            "in" : "path",
            "name" : "seq",
            "required" : true,
            "schema" : {
              "format" : "int64",
              "type" : "integer"
            }
          }
        ],
        "responses" : {
          "200" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "type" : "object"
                }
              }
            },
            "description" : "The receipt."
          },
          "400" : {
            "$ref" : "#/components/responses/BadRequest"
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "404" : {
            "$ref" : "#/components/responses/NotFound"
          },
          "429" : {
            "$ref" : "#/components/responses/RateLimited"
          },
          "503" : {
            "$ref" : "#/components/responses/Unavailable"
          }
        },
        "summary" : "A receipt for one event (inclusion proof against a signed checkpoint); audited.",
        "tags" : [
          "audit"
        ]
      }
    },
    "/v1/audit/report" : {
      "get" : {
        "operationId" : "auditReport",
        "parameters" : [
          {
            "description" : "YYYY-MM (WITA); default the current month",
            "example" : "2026-11",
            "in" : "query",
            "name" : "month",
            "required" : false,
            "schema" : {
              "pattern" : "^[0-9]{4}-[0-9]{2}$",
              "type" : "string"
            }
          },
          {
            "in" : "query",
            "name" : "format",
            "required" : false,
            "schema" : {
              "default" : "json",
              "enum" : [
                "json",
                "markdown"
              ]
            }
          }
        ],
        "responses" : {
          "200" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "required" : [
                    "month"
                  ],
                  "type" : "object"
                }
              },
              "text/markdown" : {
                "schema" : {
                  "type" : "string"
                }
              }
            },
            "description" : "The report."
          },
          "400" : {
            "$ref" : "#/components/responses/BadRequest"
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "429" : {
            "$ref" : "#/components/responses/RateLimited"
          }
        },
        "summary" : "The monthly transparency report.",
        "tags" : [
          "audit"
        ]
      }
    },
    "/v1/audit/verify" : {
      "get" : {
        "operationId" : "verifyAudit",
        "parameters" : [
          {
            "in" : "query",
            "name" : "lang",
            "required" : false,
            "schema" : {
              "default" : "id",
              "enum" : [
                "id",
                "en"
              ]
            }
          }
        ],
        "responses" : {
          "200" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "properties" : {
                    "checkpoints_checked" : {
                      "type" : "integer"
                    },
                    "events_checked" : {
                      "type" : "integer"
                    },
                    "fingerprint" : {
                      "description" : "The readable fingerprint of the key (eight groups of four hex digits).",
                      "type" : "string"
                    },
                    "last_checkpoint" : {
                      "type" : "object"
                    },
                    "missing_triggers" : {
                      "items" : {
                        "type" : "string"
                      },
                      "type" : "array"
                    },
                    "ok" : {
                      "type" : "boolean"
                    },
                    "problem" : {
                      "type" : "object"
                    },
                    "public_key" : {
                      "type" : "string"
                    },
                    "root" : {
                      "description" : "The recomputed root in base64, as in the checkpoint note.",
                      "type" : "string"
                    },
                    "signed_size" : {
                      "type" : "integer"
                    },
                    "status" : {
                      "enum" : [
                        "verified",
                        "incomplete",
                        "failed"
                      ]
                    },
                    "summary" : {
                      "description" : "The verdict as one paragraph (Bahasa Indonesia; ?lang=en for English).",
                      "type" : "string"
                    },
                    "tree_size" : {
                      "type" : "integer"
                    },
                    "unsigned_events" : {
                      "type" : "integer"
                    }
                  },
                  "required" : [
                    "ok",
                    "events_checked",
                    "checkpoints_checked",
                    "tree_size",
                    "public_key",
                    "summary"
                  ],
                  "type" : "object"
                }
              }
            },
            "description" : "The verdict (ok false names the first bad entry)."
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "429" : {
            "$ref" : "#/components/responses/RateLimited"
          }
        },
        "summary" : "Recomputes the hash chain, Merkle tree and signed checkpoints.",
        "tags" : [
          "audit"
        ]
      }
    },
    "/v1/chat/completions" : {
      "post" : {
        "description" : "Retrieval from the documents the caller may see is on by default for the `samarinda-*`\naliases; the caller's plugin tools are offered to the model and run as the caller. The\nanswer carries the provider, the classification of what it rests on, and citations.\nA stream that fails or passes `[server] request_timeout_ms` ends with an error event in\nthe error shape, then `data: [DONE]`.\n",
        "operationId" : "createChatCompletion",
        "requestBody" : {
          "content" : {
            "application/json" : {
              "schema" : {
                "$ref" : "#/components/schemas/ChatCompletionRequest"
              }
            }
          },
          "required" : true
        },
        "responses" : {
          "200" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "$ref" : "#/components/schemas/ChatCompletion"
                }
              },
              "text/event-stream" : {
                "schema" : {
                  "type" : "string"
                }
              }
            },
            "description" : "A `chat.completion` object, or with \"stream\" an SSE stream of `chat.completion.chunk` objects."
          },
          "400" : {
            "$ref" : "#/components/responses/BadRequest"
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "404" : {
            "$ref" : "#/components/responses/NotFound"
          },
          "413" : {
            "$ref" : "#/components/responses/TooLarge"
          },
          "422" : {
            "$ref" : "#/components/responses/Unprocessable"
          },
          "429" : {
            "$ref" : "#/components/responses/RateLimited"
          },
          "499" : {
            "$ref" : "#/components/responses/ModelFailure"
          },
          "502" : {
            "$ref" : "#/components/responses/ModelFailure"
          },
          "503" : {
            "$ref" : "#/components/responses/Unavailable"
          },
          "504" : {
            "$ref" : "#/components/responses/Timeout"
          }
        },
        "summary" : "A chat answer (OpenAI-compatible), streamed as SSE with \"stream\": true.",
        "tags" : [
          "openai"
        ]
      }
    },
    "/v1/conversations" : {
      "get" : {
        "operationId" : "listConversations",
        "responses" : {
          "200" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "properties" : {
                    "data" : {
                      "items" : {
                        "$ref" : "#/components/schemas/Conversation"
                      },
                      "type" : "array"
                    },
                    "object" : {
                      "const" : "list"
                    }
                  },
                  "required" : [
                    "object",
                    "data"
                  ],
                  "type" : "object"
                }
              }
            },
            "description" : "The caller's conversations (never anyone else's)."
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          }
        },
        "summary" : "The caller's stored conversations, most recent first.",
        "tags" : [
          "conversations"
        ]
      }
    },
    "/v1/conversations/{id}" : {
      "delete" : {
        "operationId" : "deleteConversation",
        "responses" : {
          "200" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "properties" : {
                    "deleted" : {
                      "const" : true
                    },
                    "id" : {
                      "type" : "string"
                    },
                    "object" : {
                      "const" : "conversation.deleted"
                    }
                  },
                  "required" : [
                    "id",
                    "object",
                    "deleted"
                  ],
                  "type" : "object"
                }
              }
            },
            "description" : "Deleted."
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "404" : {
            "$ref" : "#/components/responses/NotFound"
          }
        },
        "summary" : "Deletes one of the caller's conversations and its turns.",
        "tags" : [
          "conversations"
        ]
      },
      "get" : {
        "operationId" : "getConversation",
        "responses" : {
          "200" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "allOf" : [
                    {
                      "$ref" : "#/components/schemas/Conversation"
                    },
                    {
                      "properties" : {
                        "messages" : {
                          "items" : {
                            "$ref" : "#/components/schemas/ConversationMessage"
                          },
                          "type" : "array"
                        }
                      },
                      "required" : [
                        "messages"
                      ],
                      "type" : "object"
                    }
                  ]
                }
              }
            },
            "description" : "The conversation and its messages, oldest first."
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "404" : {
            "$ref" : "#/components/responses/NotFound"
          }
        },
        "summary" : "One of the caller's conversations with its turns, as the server answered them.",
        "tags" : [
          "conversations"
        ]
      },
      "parameters" : [
        {
          "in" : "path",
          "name" : "id",
          "required" : true,
          "schema" : {
            "type" : "string"
          }
        }
      ]
    },
    "/v1/documents" : {
      "get" : {
        "operationId" : "listDocuments",
        "parameters" : [
          {
            "in" : "query",
            "name" : "collection",
            "required" : false,
            "schema" : {
              "type" : "string"
            }
          }
        ],
        "responses" : {
          "200" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "properties" : {
                    "data" : {
                      "items" : {
                        "$ref" : "#/components/schemas/Document"
                      },
                      "type" : "array"
                    },
                    "object" : {
                      "const" : "list"
                    }
                  },
                  "required" : [
                    "object",
                    "data"
                  ],
                  "type" : "object"
                }
              }
            },
            "description" : "The documents."
          },
          "400" : {
            "$ref" : "#/components/responses/BadRequest"
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "429" : {
            "$ref" : "#/components/responses/RateLimited"
          }
        },
        "summary" : "The documents the caller may see.",
        "tags" : [
          "documents"
        ]
      },
      "post" : {
        "description" : "A scan (an image, or a PDF with a page without a text layer), a file over 4 MiB, or a request with `Prefer: respond-async` is read by a background job: the answer is 202 with the job, to follow at `GET /v1/jobs/{id}`. Jobs are kept in the database and resume after a restart.",
        "operationId" : "uploadDocument",
        "parameters" : [
          {
            "description" : "respond-async: answer 202 with a job for any file.",
            "in" : "header",
            "name" : "Prefer",
            "required" : false,
            "schema" : {
              "example" : "respond-async",
              "type" : "string"
            }
          }
        ],
        "requestBody" : {
          "content" : {
            "application/json" : {
              "schema" : {
                "properties" : {
                  "classification" : {
                    "$ref" : "#/components/schemas/Classification"
                  },
                  "collection" : {
                    "type" : "string"
                  },
                  "content" : {
                    "type" : "string"
                  },
                  "content_base64" : {
                    "contentEncoding" : "base64",
                    "type" : "string"
                  },
                  "department" : {
                    "type" : "string"
                  },
                  "filename" : {
                    "type" : "string"
                  },
                  "title" : {
                    "type" : "string"
                  }
                },
                "required" : [
                  "filename"
                ],
                "type" : "object"
              }
            },
            "multipart/form-data" : {
              "schema" : {
                "properties" : {
                  "classification" : {
                    "$ref" : "#/components/schemas/Classification"
                  },
                  "collection" : {
                    "type" : "string"
                  },
                  "department" : {
                    "type" : "string"
                  },
                  "file" : {
                    "contentMediaType" : "application/octet-stream",
                    "type" : "string"
                  },
                  "title" : {
                    "type" : "string"
                  }
                },
                "required" : [
                  "file"
                ],
                "type" : "object"
              }
            }
          },
          "required" : true
        },
        "responses" : {
          "201" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "properties" : {
                    "chunks" : {
                      "type" : "integer"
                    },
                    "collection" : {
                      "type" : "string"
                    },
                    "document_id" : {
                      "type" : "integer"
                    },
                    "file" : {
                      "type" : "string"
                    },
                    "outcome" : {
                      "enum" : [
                        "added",
                        "replaced",
                        "unchanged"
                      ]
                    },
                    "previous_id" : {
                      "type" : "integer"
                    }
                  },
                  "required" : [
                    "file",
                    "chunks",
                    "collection",
                    "outcome"
                  ],
                  "type" : "object"
                }
              }
            },
            "description" : "Ingested (added, replaced or unchanged)."
          },
          "202" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "allOf" : [
                    {
                      "$ref" : "#/components/schemas/Job"
                    },
                    {
                      "properties" : {
                        "url" : {
                          "type" : "string"
                        }
                      },
                      "required" : [
                        "url"
                      ],
                      "type" : "object"
                    }
                  ]
                }
              }
            },
            "description" : "Accepted as a background job (OCR, a large file, or Prefer respond-async).",
            "headers" : {
              "Location" : {
                "description" : "/v1/jobs/{id}",
                "schema" : {
                  "type" : "string"
                }
              }
            }
          },
          "400" : {
            "$ref" : "#/components/responses/BadRequest"
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "413" : {
            "$ref" : "#/components/responses/TooLarge"
          },
          "422" : {
            "$ref" : "#/components/responses/Unprocessable"
          },
          "429" : {
            "$ref" : "#/components/responses/RateLimited"
          },
          "503" : {
            "$ref" : "#/components/responses/Unavailable"
          }
        },
        "summary" : "Ingests a document (dept_admin, admin) — multipart form or JSON.",
        "tags" : [
          "documents"
        ]
      }
    },
    "/v1/documents/{id}" : {
      "delete" : {
        "operationId" : "removeDocument",
        "responses" : {
          "200" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "properties" : {
                    "id" : {
                      "type" : "integer"
                    },
                    "removed" : {
                      "const" : true
                    }
                  },
                  "required" : [
                    "id",
                    "removed"
                  ],
                  "type" : "object"
                }
              }
            },
            "description" : "Removed."
          },
          "400" : {
            "$ref" : "#/components/responses/BadRequest"
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "404" : {
            "$ref" : "#/components/responses/NotFound"
          },
          "429" : {
            "$ref" : "#/components/responses/RateLimited"
          },
          "503" : {
            "$ref" : "#/components/responses/Unavailable"
          }
        },
        "summary" : "Removes a document (dept_admin of its department, admin).",
        "tags" : [
          "documents"
        ]
      },
      "get" : {
        "operationId" : "getDocument",
        "responses" : {
          "200" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "allOf" : [
                    {
                      "$ref" : "#/components/schemas/Document"
                    },
                    {
                      "properties" : {
                        "chunks" : {
                          "items" : {
                            "properties" : {
                              "id" : {
                                "type" : "integer"
                              },
                              "ordinal" : {
                                "type" : "integer"
                              },
                              "section" : {
                                "type" : "string"
                              },
                              "text" : {
                                "type" : "string"
                              }
                            },
                            "required" : [
                              "id",
                              "ordinal",
                              "section",
                              "text"
                            ],
                            "type" : "object"
                          },
                          "type" : "array"
                        },
                        "history" : {
                          "items" : {
                            "$ref" : "#/components/schemas/Document"
                          },
                          "type" : "array"
                        }
                      },
                      "required" : [
                        "chunks",
                        "history"
                      ],
                      "type" : "object"
                    }
                  ]
                }
              }
            },
            "description" : "The document."
          },
          "400" : {
            "$ref" : "#/components/responses/BadRequest"
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "404" : {
            "$ref" : "#/components/responses/NotFound"
          },
          "429" : {
            "$ref" : "#/components/responses/RateLimited"
          }
        },
        "summary" : "A document with its chunks and earlier versions.",
        "tags" : [
          "documents"
        ]
      },
      "parameters" : [
        {
          "in" : "path",
          "name" : "id",
          "required" : true,
          "schema" : {
            "format" : "int64",
            "type" : "integer"
          }
        }
      ]
    },
    "/v1/embeddings" : {
      "post" : {
        "operationId" : "createEmbeddings",
        "requestBody" : {
          "content" : {
            "application/json" : {
              "schema" : {
                "properties" : {
                  "classification" : {
                    "$ref" : "#/components/schemas/Classification"
                  },
                  "input" : {
                    "oneOf" : [
                      {
                        "type" : "string"
                      },
                      {
                        "items" : {
                          "type" : "string"
                        },
                        "maxItems" : 2048,
                        "minItems" : 1,
                        "type" : "array"
                      }
                    ]
                  },
                  "model" : {
                    "default" : "samarinda-default",
                    "type" : "string"
                  }
                },
                "required" : [
                  "input"
                ],
                "type" : "object"
              }
            }
          },
          "required" : true
        },
        "responses" : {
          "200" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "properties" : {
                    "data" : {
                      "items" : {
                        "properties" : {
                          "embedding" : {
                            "items" : {
                              "type" : "number"
                            },
                            "type" : "array"
                          },
                          "index" : {
                            "type" : "integer"
                          },
                          "object" : {
                            "const" : "embedding"
                          }
                        },
                        "required" : [
                          "object",
                          "index",
                          "embedding"
                        ],
                        "type" : "object"
                      },
                      "type" : "array"
                    },
                    "model" : {
                      "type" : "string"
                    },
                    "object" : {
                      "const" : "list"
                    },
                    "provider" : {
                      "type" : "string"
                    },
                    "usage" : {
                      "$ref" : "#/components/schemas/Usage"
                    }
                  },
                  "required" : [
                    "object",
                    "data",
                    "model",
                    "provider"
                  ],
                  "type" : "object"
                }
              }
            },
            "description" : "OpenAI's embeddings list."
          },
          "400" : {
            "$ref" : "#/components/responses/BadRequest"
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "404" : {
            "$ref" : "#/components/responses/NotFound"
          },
          "413" : {
            "$ref" : "#/components/responses/TooLarge"
          },
          "422" : {
            "$ref" : "#/components/responses/Unprocessable"
          },
          "429" : {
            "$ref" : "#/components/responses/RateLimited"
          },
          "499" : {
            "$ref" : "#/components/responses/ModelFailure"
          },
          "502" : {
            "$ref" : "#/components/responses/ModelFailure"
          },
          "503" : {
            "$ref" : "#/components/responses/Unavailable"
          },
          "504" : {
            "$ref" : "#/components/responses/Timeout"
          }
        },
        "summary" : "Embeddings (OpenAI-compatible).",
        "tags" : [
          "openai"
        ]
      }
    },
    "/v1/jobs/{id}" : {
      "get" : {
        "description" : "Only the principal who uploaded sees the job; for anyone else (including admins) the answer is 404, as for an id that does not exist. Auditors are refused (403) and read job.start, job.resume, job.finish and job.fail in the audit trail instead.",
        "operationId" : "getJob",
        "responses" : {
          "200" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "$ref" : "#/components/schemas/Job"
                }
              }
            },
            "description" : "The job."
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "404" : {
            "$ref" : "#/components/responses/NotFound"
          },
          "429" : {
            "$ref" : "#/components/responses/RateLimited"
          }
        },
        "summary" : "A background ingestion job's progress and results — its owner only.",
        "tags" : [
          "documents"
        ]
      },
      "parameters" : [
        {
          "in" : "path",
          "name" : "id",
          "required" : true,
          "schema" : {
            "type" : "string"
          }
        }
      ]
    },
    "/v1/models" : {
      "get" : {
        "operationId" : "listModels",
        "responses" : {
          "200" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "properties" : {
                    "data" : {
                      "items" : {
                        "properties" : {
                          "created" : {
                            "type" : "integer"
                          },
                          "id" : {
                            "type" : "string"
                          },
                          "object" : {
                            "const" : "model"
                          },
                          "owned_by" : {
                            "type" : "string"
                          },
                          "providers" : {
                            "items" : {
                              "type" : "string"
                            },
                            "type" : "array"
                          }
                        },
                        "required" : [
                          "id",
                          "object",
                          "created",
                          "owned_by",
                          "providers"
                        ],
                        "type" : "object"
                      },
                      "type" : "array"
                    },
                    "object" : {
                      "const" : "list"
                    }
                  },
                  "required" : [
                    "object",
                    "data"
                  ],
                  "type" : "object"
                }
              }
            },
            "description" : "OpenAI's list shape."
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "429" : {
            "$ref" : "#/components/responses/RateLimited"
          }
        },
        "summary" : "The model aliases the caller may use.",
        "tags" : [
          "openai"
        ]
      }
    },
    "/v1/plugins" : {
      "get" : {
        "operationId" : "listPlugins",
        "responses" : {
          "200" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "properties" : {
                    "data" : {
                      "items" : {
                        "properties" : {
                          "denied" : {
                            "items" : {
                              "type" : "string"
                            },
                            "type" : "array"
                          },
                          "department" : {
                            "type" : "string"
                          },
                          "errors" : {
                            "items" : {
                              "type" : "string"
                            },
                            "type" : "array"
                          },
                          "granted" : {
                            "items" : {
                              "type" : "string"
                            },
                            "type" : "array"
                          },
                          "id" : {
                            "type" : "string"
                          },
                          "idle_memory_bytes" : {
                            "type" : "integer"
                          },
                          "requested" : {
                            "items" : {
                              "type" : "string"
                            },
                            "type" : "array"
                          },
                          "state" : {
                            "type" : "string"
                          },
                          "tools" : {
                            "items" : {
                              "type" : "string"
                            },
                            "type" : "array"
                          },
                          "version" : {
                            "type" : "string"
                          },
                          "warnings" : {
                            "items" : {
                              "type" : "string"
                            },
                            "type" : "array"
                          }
                        },
                        "required" : [
                          "id",
                          "state",
                          "tools",
                          "errors",
                          "warnings"
                        ],
                        "type" : "object"
                      },
                      "type" : "array"
                    },
                    "object" : {
                      "const" : "list"
                    }
                  },
                  "required" : [
                    "object",
                    "data"
                  ],
                  "type" : "object"
                }
              }
            },
            "description" : "The plugins."
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "429" : {
            "$ref" : "#/components/responses/RateLimited"
          }
        },
        "summary" : "Every plugin's load state, capabilities requested/granted/denied, errors (admin).",
        "tags" : [
          "tools"
        ]
      }
    },
    "/v1/search" : {
      "get" : {
        "operationId" : "search",
        "parameters" : [
          {
            "example" : "syarat KTP-el",
            "in" : "query",
            "name" : "q",
            "required" : true,
            "schema" : {
              "minLength" : 1,
              "type" : "string"
            }
          },
          {
            "in" : "query",
            "name" : "k",
            "required" : false,
            "schema" : {
              "default" : 10,
              "maximum" : 50,
              "minimum" : 1,
              "type" : "integer"
            }
          },
          {
            "description" : "Same as k.",
            "in" : "query",
            "name" : "limit",
            "required" : false,
            "schema" : {
              "maximum" : 50,
              "minimum" : 1,
              "type" : "integer"
            }
          },
          {
            "in" : "query",
            "name" : "collection",
            "required" : false,
            "schema" : {
              "type" : "string"
            }
          }
        ],
        "responses" : {
          "200" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "properties" : {
                    "data" : {
                      "items" : {
                        "properties" : {
                          "chunk_id" : {
                            "type" : "integer"
                          },
                          "classification" : {
                            "$ref" : "#/components/schemas/Classification"
                          },
                          "collection" : {
                            "type" : "string"
                          },
                          "document_id" : {
                            "type" : "integer"
                          },
                          "score" : {
                            "type" : "number"
                          },
                          "section" : {
                            "type" : "string"
                          },
                          "snippet" : {
                            "type" : "string"
                          },
                          "title" : {
                            "type" : "string"
                          }
                        },
                        "required" : [
                          "document_id",
                          "chunk_id",
                          "collection",
                          "title",
                          "section",
                          "snippet",
                          "classification",
                          "score"
                        ],
                        "type" : "object"
                      },
                      "type" : "array"
                    },
                    "object" : {
                      "const" : "list"
                    },
                    "query" : {
                      "type" : "string"
                    }
                  },
                  "required" : [
                    "object",
                    "query",
                    "data"
                  ],
                  "type" : "object"
                }
              }
            },
            "description" : "The hits, best first."
          },
          "400" : {
            "$ref" : "#/components/responses/BadRequest"
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "429" : {
            "$ref" : "#/components/responses/RateLimited"
          }
        },
        "summary" : "Searches the documents the caller may see (BM25, Indonesian analyzer).",
        "tags" : [
          "documents"
        ]
      }
    },
    "/v1/tools" : {
      "get" : {
        "operationId" : "listTools",
        "responses" : {
          "200" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "properties" : {
                    "data" : {
                      "items" : {
                        "properties" : {
                          "classification" : {
                            "$ref" : "#/components/schemas/Classification"
                          },
                          "description" : {
                            "type" : "string"
                          },
                          "input_schema" : {
                            "type" : "object"
                          },
                          "name" : {
                            "description" : "<plugin>.<tool>",
                            "type" : "string"
                          },
                          "output_schema" : {
                            "type" : "object"
                          },
                          "plugin" : {
                            "type" : "string"
                          },
                          "read_only" : {
                            "type" : "boolean"
                          },
                          "tool" : {
                            "type" : "string"
                          }
                        },
                        "required" : [
                          "name",
                          "plugin",
                          "tool",
                          "description",
                          "read_only",
                          "classification",
                          "input_schema"
                        ],
                        "type" : "object"
                      },
                      "type" : "array"
                    },
                    "object" : {
                      "const" : "list"
                    }
                  },
                  "required" : [
                    "object",
                    "data"
                  ],
                  "type" : "object"
                }
              }
            },
            "description" : "The caller's tools."
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "429" : {
            "$ref" : "#/components/responses/RateLimited"
          }
        },
        "summary" : "The plugin tools the caller may call, with their JSON Schemas.",
        "tags" : [
          "tools"
        ]
      }
    },
    "/v1/tools/{plugin}/{tool}" : {
      "post" : {
        "operationId" : "callTool",
        "parameters" : [
          {
            "example" : "disdukcapil.cek-nik",
            "in" : "path",
            "name" : "plugin",
            "required" : true,
            "schema" : {
              "type" : "string"
            }
          },
          {
            "example" : "cek_nik",
            "in" : "path",
            "name" : "tool",
            "required" : true,
            "schema" : {
              "type" : "string"
            }
          }
        ],
        "requestBody" : {
          "content" : {
            "application/json" : {
              "schema" : {
                "type" : "object"
              }
            }
          },
          "description" : "The tool's arguments (checked against its input_schema); empty means {}."
        },
        "responses" : {
          "200" : {
            "content" : {
              "application/json" : {
                "schema" : {

                }
              }
            },
            "description" : "The tool's output.",
            "headers" : {
              "X-Samarinda-Classification" : {
                "description" : "The classification of the output.",
                "schema" : {
                  "$ref" : "#/components/schemas/Classification"
                }
              }
            }
          },
          "400" : {
            "$ref" : "#/components/responses/BadRequest"
          },
          "401" : {
            "$ref" : "#/components/responses/Unauthorized"
          },
          "403" : {
            "$ref" : "#/components/responses/Forbidden"
          },
          "404" : {
            "$ref" : "#/components/responses/NotFound"
          },
          "413" : {
            "$ref" : "#/components/responses/TooLarge"
          },
          "422" : {
            "$ref" : "#/components/responses/Unprocessable"
          },
          "429" : {
            "$ref" : "#/components/responses/RateLimited"
          },
          "500" : {
            "content" : {
              "application/json" : {
                "schema" : {
                  "$ref" : "#/components/schemas/Error"
                }
              }
            },
            "description" : "The plugin itself failed (its error and traceback, as the caller may see them); the service keeps serving."
          },
          "503" : {
            "$ref" : "#/components/responses/Unavailable"
          },
          "504" : {
            "$ref" : "#/components/responses/Timeout"
          }
        },
        "summary" : "Calls a plugin tool as the caller; JSON arguments in, the tool's JSON out.",
        "tags" : [
          "tools"
        ]
      }
    }
  },
  "security" : [
    {
      "bearer" : [

      ]
    }
  ],
  "servers" : [
    {
      "url" : "http://127.0.0.1:8080"
    }
  ],
  "tags" : [
    {
      "name" : "service"
    },
    {
      "description" : "OpenAI-compatible routes (official OpenAI client libraries work against them).",
      "name" : "openai"
    },
    {
      "description" : "Conversations kept by the server; continue one with `conversation_id` on /v1/chat/completions.",
      "name" : "conversations"
    },
    {
      "name" : "tools"
    },
    {
      "name" : "documents"
    },
    {
      "description" : "For the Inspektorat (auditor) and city-wide admins.",
      "name" : "audit"
    }
  ]
}
"""##
}
