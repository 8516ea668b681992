package main
import (
 _ "github.com/go-chi/chi/v5"
 _ "github.com/go-playground/validator/v10"
 _ "github.com/golang-jwt/jwt/v5"
 _ "github.com/MicahParks/keyfunc/v3"
 _ "github.com/MicahParks/jwkset"
 _ "github.com/Azure/azure-sdk-for-go/sdk/azidentity"
 _ "github.com/Azure/azure-sdk-for-go/sdk/azcore"
 _ "github.com/google/uuid"
 _ "github.com/google/go-cmp/cmp"
)
func main(){}
