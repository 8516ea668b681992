module github.com/syncgate/syncgate/deploy

go 1.26.8
